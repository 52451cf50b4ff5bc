"""The HTTP client of a chat: explicit timeouts, and requests another thread can cut off.

`Http.send` returns once the response headers arrived (an `Exchange` calls it in its own
thread and reads the body). `Http.abort` may be called from any thread: it shuts the
socket of the request in flight down, which wakes a blocked read and tells the server the
client left (so a local model stops generating). Connections are not kept alive: a CLI
makes one or two requests, and a fresh connection is one `abort` can always reach. A
session or a server keeps clients alive between answers in a `Clients` pool: one client
per answer in flight, since a client cuts off the one request it has in flight.
"""

from __future__ import annotations

import contextlib
import functools
import socket
import ssl
import struct
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import orjson

from streamcli import __version__
from streamcli.sources.chat.protocols.provider import Call

if TYPE_CHECKING:
    import httpx

WRITE_TIMEOUT = 30.0
# Seconds a kept-alive connection waits for the end of a finished body (its terminator is
# on its way; our reading thread may wait for the CPU on a loaded machine: at 50 ms, a
# loaded run lost the connection between a session's turns). Without it, the next answer
# opens a new connection (a TCP and TLS handshake).
LINGER = 0.25
_CONNECTED = ("connection.connect_tcp.complete", "connection.start_tls.complete")
NO_DELAY = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
RESET = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() resets the connection


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The TLS settings every client shares: the CA bundle (SSL_CERT_FILE, SSL_CERT_DIR
    or certifi's) is read once per process — a few tens of milliseconds of CPU each time,
    which a server making a client per answer would spend per answer."""
    import httpx

    return httpx.create_ssl_context(trust_env=True)


class Http:
    """The HTTP client of a chat: explicit timeouts, and requests another thread can cut off."""

    def __init__(
        self, connect_timeout: float, read_timeout: float | None, *, keepalive: bool = False
    ) -> None:
        import httpx

        self.connect_timeout = connect_timeout
        self.linger = LINGER if keepalive else 0.0  # see `Exchange.close`
        limits = httpx.Limits(max_keepalive_connections=1 if keepalive else 0)
        self._client = httpx.Client(
            timeout=httpx.Timeout(
                read_timeout, connect=connect_timeout, write=WRITE_TIMEOUT, pool=connect_timeout
            ),
            headers={"user-agent": f"streamcli/{__version__}", "accept-encoding": "identity"},
            limits=limits,
            # No Nagle: a request's headers and body are two writes, and on a kept-alive
            # connection the body would wait for the server's delayed ACK (40 ms).
            transport=httpx.HTTPTransport(
                verify=tls_context(), limits=limits, socket_options=NO_DELAY
            ),
            verify=tls_context(),
            follow_redirects=False,
            trust_env=True,  # HTTPS_PROXY, NO_PROXY, SSL_CERT_FILE…
        )
        self._network: Any = None  # httpcore's stream of the request in flight
        self._lock = threading.Lock()
        self.aborted = False

    def send(self, call: Call, cancelled: threading.Event | None = None) -> httpx.Response:
        """Send `call`; return when the response headers arrived (the body is not read).
        Once `cancelled` is set, the request's connection is cut as soon as it exists
        (an `abort` may come before the connection does)."""
        headers = dict(call.headers)
        content = None
        if call.body is not None:
            content = orjson.dumps(call.body)
            headers["content-type"] = "application/json"
        request = self._client.build_request(
            call.method,
            call.url,
            headers=headers,
            content=content,
            extensions={"trace": functools.partial(self._trace, cancelled)},
        )
        with self._lock:
            self._network = None
        response = self._client.send(request, stream=True)
        with self._lock:
            self._network = response.extensions.get("network_stream") or self._network
        if cancelled is not None and cancelled.is_set():
            self.abort()
        return response

    def _trace(self, cancelled: threading.Event | None, name: str, info: dict[str, Any]) -> None:
        if name in _CONNECTED:
            with self._lock:
                self._network = info.get("return_value")
            if cancelled is not None and cancelled.is_set():
                self.abort()

    def abort(self) -> None:
        """Cut the connection of the request in flight, from any thread, without blocking.
        A client that cut a request is not kept for another (its request's thread may
        still be on its way out)."""
        with self._lock:
            self.aborted = True
            network = self._network
        if network is None:
            return
        with contextlib.suppress(Exception):
            sock = network.get_extra_info("socket")
            if sock is not None:
                # Closed with a reset, not a FIN: a server blocked writing to us (our window
                # full) never reads the FIN, but its write fails on a reset.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RESET)
                sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._client.close()


class Clients:
    """Clients kept alive between answers: each answer leases one of its own (an idle one,
    or a new one), so answers side by side never share a connection or an `abort`."""

    def __init__(self, connect_timeout: float, read_timeout: float | None, idle: int = 8) -> None:
        self._timeouts = (connect_timeout, read_timeout)
        self._idle: list[Http] = []
        self._most = idle  # idle clients kept; more are closed
        self._lock = threading.Lock()
        self._closed = False

    @contextlib.contextmanager
    def lease(self) -> Iterator[Http]:
        """A client for one answer, given back (kept alive) when the block ends."""
        http = self.idle()
        try:
            yield http
        finally:
            with self._lock:
                keep = not self._closed and not http.aborted and len(self._idle) < self._most
                if keep:
                    self._idle.append(http)
            if not keep:
                http.close()

    def idle(self) -> Http:
        """An idle client, taken out of the pool (a new one when none is idle)."""
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return Http(*self._timeouts, keepalive=True)

    def warm(self) -> None:
        """Make one client now (its TLS context takes a while), so the first answer goes
        out at once."""
        with self.lease():
            pass

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for http in idle:
            http.close()


@contextlib.contextmanager
def fresh(connect_timeout: float, read_timeout: float | None) -> Iterator[Http]:
    """A client for one answer, closed after it (the command line's one-shot chat)."""
    http = Http(connect_timeout, read_timeout)
    try:
        yield http
    finally:
        http.close()
