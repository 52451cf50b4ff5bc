"""Plain TCP with the kernel's receive timestamps (Linux `SO_TIMESTAMPNS`).

A timestamp taken when the event loop gets round to a read is late by whatever the
process was doing when the bytes arrived, or by how long the scheduler kept it off the
CPU: on a loaded two-core machine, milliseconds. The kernel stamps every packet as it
arrives, and `recvmsg` hands that stamp over with the bytes, so a busy or descheduled
client still measures the server. The stamp is on CLOCK_REALTIME; it is moved to the
monotonic clock at the moment of the read (both clocks are slewed alike, so only a clock
step in between could shift it). A stamp that is missing or implausible (after the read,
or before the previous read's) is replaced by the nearest plausible time.

Where this is not available (TLS, other systems), `transport` timestamps in
`data_received` instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import platform
import socket
import struct
import sys
import time
from collections.abc import Callable
from typing import Any, Protocol

SO_TIMESTAMPNS = 35  # the asm-generic value; other architectures number it differently
_GENERIC = {"x86_64", "amd64", "i386", "i686", "aarch64", "arm64", "armv7l", "riscv64", "s390x"}
CMSG_SPACE = socket.CMSG_SPACE(16) if hasattr(socket, "CMSG_SPACE") else 0
READ_SIZE = 256 * 1024


class Receiver(Protocol):
    """What the transport delivers to."""

    def connection_made(self, transport: Any) -> None: ...

    def received_at(self, t: float, data: bytes, kernel: bool = False) -> None: ...

    def eof_received(self) -> bool | None: ...

    def connection_lost(self, exc: Exception | None) -> None: ...


def supported() -> bool:
    """Whether kernel receive timestamps can be asked for here."""
    return sys.platform == "linux" and platform.machine().lower() in _GENERIC and CMSG_SPACE > 0


class Switch:
    """Keeps the kernel stamping packets while the benchmark runs.

    The kernel turns packet timestamps on for everyone when a first socket asks, a little
    later (from a worker thread), and off when the last one is gone; TCP reads of packets
    that arrived before that carry no stamp. `on` waits until a loopback probe's bytes
    come back stamped, so the first response of a run is stamped too, and keeps the
    probe open until `off`.
    """

    def __init__(self) -> None:
        self._sockets: list[socket.socket] = []

    def on(self, timeout: float = 0.5) -> bool:
        """Whether stamps are on (False: they did not come on within `timeout`)."""
        if self._sockets:
            return True
        with socket.create_server(("127.0.0.1", 0)) as listener:
            client = socket.create_connection(listener.getsockname()[:2], timeout=timeout)
            client.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            peer, _ = listener.accept()
        self._sockets = [client, peer]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            peer.sendall(b".")
            try:
                _, ancillary, _, _ = client.recvmsg(1, CMSG_SPACE)
            except OSError:
                break
            if any(kind == SO_TIMESTAMPNS for _, kind, _ in ancillary):
                return True
            time.sleep(0.005)
        self.off()
        return False

    def off(self) -> None:
        for sock in self._sockets:
            sock.close()
        self._sockets = []


async def open_connection(
    host: str,
    port: int,
    receiver: Receiver,
    clock: Callable[[], float],
) -> StampedTransport:
    """Connect to `host:port` (each resolved address in turn) with timestamps on."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    last_error: OSError | None = None
    for family, kind, proto, _, address in infos:
        sock = socket.socket(family, kind, proto)
        sock.setblocking(False)
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        try:
            await loop.sock_connect(sock, address)
        except OSError as exc:
            sock.close()
            last_error = exc
            continue
        except BaseException:
            sock.close()
            raise
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return StampedTransport(loop, sock, receiver, clock)
    raise last_error or OSError(f"cannot resolve {host}")


class StampedTransport:
    """The transport side of one connection: reads with stamps, buffered writes."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        sock: socket.socket,
        receiver: Receiver,
        clock: Callable[[], float],
    ) -> None:
        self._loop = loop
        self._sock = sock
        self._fd = sock.fileno()
        self._receiver = receiver
        self._clock = clock
        self._last = 0.0
        self._pending = bytearray()
        self._closed = False
        receiver.connection_made(self)
        loop.add_reader(self._fd, self._readable)

    def write(self, data: bytes) -> None:
        if self._closed:
            return
        if self._pending:
            self._pending += data
            return
        try:
            sent = self._sock.send(data)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError as exc:
            self._lose(exc)
            return
        if sent < len(data):
            self._pending += data[sent:]
            self._loop.add_writer(self._fd, self._writable)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._loop.remove_reader(self._fd)
            self._loop.remove_writer(self._fd)
            self._sock.close()

    def is_closing(self) -> bool:
        return self._closed

    def _writable(self) -> None:
        try:
            sent = self._sock.send(self._pending)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._lose(exc)
            return
        del self._pending[:sent]
        if not self._pending:
            self._loop.remove_writer(self._fd)

    def _readable(self) -> None:
        try:
            data, ancillary, _, _ = self._sock.recvmsg(READ_SIZE, CMSG_SPACE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._lose(exc)
            return
        now = self._clock()
        t, kernel = self._stamp(ancillary, now)
        if data:
            self._receiver.received_at(t, data, kernel)
            return
        self._loop.remove_reader(self._fd)
        self._receiver.eof_received()
        self._lose(None)

    def _stamp(self, ancillary: list[tuple[int, int, bytes]], now: float) -> tuple[float, bool]:
        t, kernel = arrival(ancillary, now, self._last)
        self._last = t
        return t, kernel

    def _lose(self, exc: Exception | None) -> None:
        if self._closed:
            return
        self.close()
        with contextlib.suppress(Exception):
            self._receiver.connection_lost(exc)


def arrival(ancillary: list[tuple[int, int, bytes]], now: float, last: float) -> tuple[float, bool]:
    """When a read's bytes arrived, on the clock `now` was read from, kept between the
    previous read's time `last` and now; and whether the kernel said so (else: now)."""
    t = now
    kernel = False
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
            t = _timespec(payload) - (time.time() - now)
            kernel = True
    return min(max(t, last), now), kernel


def _timespec(payload: bytes) -> float:
    """A `struct timespec` (64-bit fields, or 32-bit ones on older 32-bit systems)."""
    seconds, nanoseconds = struct.unpack_from("qq" if len(payload) >= 16 else "ii", payload)
    return seconds + nanoseconds * 1e-9
