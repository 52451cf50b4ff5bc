"""The benchmark's HTTP/1.1 client over a plain blocking socket, for Locust's workers.

Under gevent (which Locust patches in) the socket is cooperative: each Locust user holds
one `Client` and its reads wait without blocking the other users. It speaks exactly as
`transport` does (`http1`: the same request bytes, the same parsing into the caller's
`ResponseHandler`, the same errors), and times every read the same way: over plain HTTP
on Linux by the kernel's arrival time of the bytes (`recvmsg` with SO_TIMESTAMPNS, which
gevent's sockets pass through), so a worker busy with other users' chunks still times
each one right; over TLS, when the read returns. One connection, kept alive between
requests while the server allows.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Callable

import h11

from streamcli.bench import rxstamp
from streamcli.bench.http1 import (
    Origin,
    ResponseHandler,
    Times,
    TransportError,
    connect_failure,
    encode_request,
    feed,
    new_connection,
    reusable,
    silence,
    split_url,
    tls_context,
)


class Client:
    """One keep-alive connection at a time, and the requests made over it."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        *,
        connect_timeout: float = 10.0,
        kernel_timestamps: bool = True,
    ) -> None:
        self.clock = clock
        self.connect_timeout = connect_timeout
        self.kernel_timestamps = kernel_timestamps and rxstamp.supported()
        self._sock: socket.socket | None = None
        self._origin: Origin | None = None
        self._h11: h11.Connection | None = None
        self._last = 0.0  # the previous read's time: stamps never go back before it
        self.reads = 0
        self.kernel_reads = 0

    def request(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes | None,
        handler: ResponseHandler,
        times: Times,
        *,
        timeout: float,
    ) -> None:
        """Make one request; `handler` sees the response, `times` gets its timestamps.

        `timeout` is the longest silence allowed (no byte received) once it is sent.
        """
        origin, target = split_url(url)
        times.started = self.clock()
        times.reused = self._sock is not None and self._origin == origin
        if not times.reused:
            self.close()
            self._connect(origin)
        sock, connection = self._sock, self._h11
        assert sock is not None and connection is not None
        times.connected = self.clock()
        data = encode_request(connection, origin, method, target, headers, body)
        times.sent = self._last = self.clock()
        try:
            sock.sendall(data)
            self._read(sock, connection, handler, timeout)
        except BaseException:  # an error, or the greenlet killed (the run was stopped)
            self.close()
            raise
        if reusable(connection):
            connection.start_next_cycle()
        else:
            self.close()

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
        self._sock = self._origin = self._h11 = None

    @property
    def timestamps(self) -> str:
        """How reads were timed: "kernel", "read" (when the read returned) or "mixed"."""
        if self.kernel_reads == self.reads:
            return "kernel" if self.reads or self.kernel_timestamps else "read"
        return "read" if self.kernel_reads == 0 else "mixed"

    def _read(
        self,
        sock: socket.socket,
        connection: h11.Connection,
        handler: ResponseHandler,
        timeout: float,
    ) -> None:
        stamped = not isinstance(sock, ssl.SSLSocket) and self.kernel_timestamps
        sock.settimeout(timeout)  # each read waits at most this long: the longest silence
        while True:
            try:
                if stamped:
                    data, ancillary, _, _ = sock.recvmsg(rxstamp.READ_SIZE, rxstamp.CMSG_SPACE)
                else:
                    data, ancillary = sock.recv(rxstamp.READ_SIZE), []
            except TimeoutError:
                raise silence(timeout) from None
            except OSError as exc:
                raise TransportError(f"reading the response failed: {exc}") from None
            now = self.clock()
            t, kernel = rxstamp.arrival(ancillary, now, self._last)
            self._last = t
            if data:
                self.reads += 1
                self.kernel_reads += kernel
            if feed(connection, handler, t, data):
                return
            if not data:
                raise TransportError("the server closed the connection mid-response")

    def _connect(self, origin: Origin) -> None:
        try:
            sock = socket.create_connection(
                (origin.host, origin.port), timeout=self.connect_timeout
            )
        except OSError as exc:
            raise connect_failure(origin, exc, self.connect_timeout) from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if origin.scheme == "https":
            try:
                sock = tls_context().wrap_socket(sock, server_hostname=origin.host)
            except OSError as exc:
                sock.close()
                raise connect_failure(origin, exc, self.connect_timeout) from None
        elif self.kernel_timestamps:
            sock.setsockopt(socket.SOL_SOCKET, rxstamp.SO_TIMESTAMPNS, 1)
        self._sock, self._origin, self._h11 = sock, origin, new_connection()
