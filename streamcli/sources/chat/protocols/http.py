"""The HTTP client of a chat: explicit timeouts, and requests another thread can cut off.

`Http.send` returns once the response headers arrived (an `Exchange` calls it in its own
thread and reads the body). `Http.abort` may be called from any thread: it shuts the
socket of the request in flight down, which wakes a blocked read and tells the server the
client left (so a local model stops generating). Connections are not kept alive: a CLI
makes one or two requests, and a fresh connection is one `abort` can always reach.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import TYPE_CHECKING, Any

import orjson

from streamcli import __version__
from streamcli.sources.chat.protocols.provider import Call

if TYPE_CHECKING:
    import httpx

WRITE_TIMEOUT = 30.0
LINGER = 0.05  # seconds a kept-alive connection waits for the end of a finished body
_CONNECTED = ("connection.connect_tcp.complete", "connection.start_tls.complete")


class Http:
    """The HTTP client of a chat: explicit timeouts, and requests another thread can cut off."""

    def __init__(
        self, connect_timeout: float, read_timeout: float | None, *, keepalive: bool = False
    ) -> None:
        import httpx

        self.connect_timeout = connect_timeout
        self.linger = LINGER if keepalive else 0.0  # see `Exchange.close`
        self._client = httpx.Client(
            timeout=httpx.Timeout(
                read_timeout, connect=connect_timeout, write=WRITE_TIMEOUT, pool=connect_timeout
            ),
            headers={"user-agent": f"streamcli/{__version__}", "accept-encoding": "identity"},
            limits=httpx.Limits(max_keepalive_connections=1 if keepalive else 0),
            follow_redirects=False,
            trust_env=True,  # HTTPS_PROXY, NO_PROXY, SSL_CERT_FILE…
        )
        self._network: Any = None  # httpcore's stream of the request in flight
        self._lock = threading.Lock()

    def send(self, call: Call) -> httpx.Response:
        """Send `call`; return when the response headers arrived (the body is not read)."""
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
            extensions={"trace": self._trace},
        )
        with self._lock:
            self._network = None
        response = self._client.send(request, stream=True)
        with self._lock:
            self._network = response.extensions.get("network_stream") or self._network
        return response

    def _trace(self, name: str, info: dict[str, Any]) -> None:
        if name in _CONNECTED:
            with self._lock:
                self._network = info.get("return_value")

    def abort(self) -> None:
        """Cut the connection of the request in flight, from any thread, without blocking."""
        with self._lock:
            network = self._network
        if network is None:
            return
        with contextlib.suppress(Exception):
            sock = network.get_extra_info("socket")
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._client.close()
