"""HTTP/1.1 for the benchmark's clients, without any I/O: what to write, and what was read.

Both clients use it: `transport` (asyncio, one process) and `blocking` (a plain socket,
cooperative under gevent in Locust's workers). h11 does the framing; `Response` feeds the
bytes of one read, with the time they arrived, to the caller's `ResponseHandler`. The
error types, the URL split and the wording of connection failures live here too, so both
clients fail alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import ssl
from typing import NamedTuple, Protocol
from urllib.parse import urlsplit

import h11

from streamcli import __version__

MAX_HEADER_BYTES = 64 * 1024


class TransportError(Exception):
    """The request could not be made or its response could not be read."""

    def __init__(self, message: str, kind: str = "connection") -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind


class ResponseHandler:
    """Receives one response as it is parsed; `t` is when its bytes were read.

    A method may raise to end the request (the connection is then closed).
    """

    def head(self, t: float, status: int, headers: dict[str, str]) -> None: ...

    def data(self, t: float, data: bytes) -> None: ...

    def end(self, t: float) -> None: ...


class Origin(NamedTuple):
    """Where a request connects to: scheme, host and port."""

    scheme: str
    host: str
    port: int


class Times(Protocol):
    """Where a request's timestamps go (clock seconds)."""

    started: float | None  # the request began (a connection was looked for)
    connected: float | None  # a connection was ready
    sent: float | None  # the request was written
    reused: bool  # the connection was kept alive from an earlier request


def split_url(url: str) -> tuple[Origin, str]:
    """The origin to connect to and the request target of `url`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TransportError(f"not an http(s) URL: {url}", kind="usage")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Origin(parts.scheme, parts.hostname, port), target


def new_connection() -> h11.Connection:
    return h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEADER_BYTES)


def encode_request(
    connection: h11.Connection,
    origin: Origin,
    method: str,
    target: str,
    headers: dict[str, str],
    body: bytes | None,
) -> bytes:
    """The bytes of one request (no compression asked for, a body always sized)."""
    default_port = 443 if origin.scheme == "https" else 80
    host = origin.host if origin.port == default_port else f"{origin.host}:{origin.port}"
    if ":" in origin.host and not origin.host.startswith("["):
        host = f"[{origin.host}]" + ("" if origin.port == default_port else f":{origin.port}")
    fields = {
        "host": host,
        "user-agent": f"streamcli/{__version__}",
        "accept-encoding": "identity",
        **{name.lower(): value for name, value in headers.items()},
    }
    fields["content-length"] = str(len(body or b""))
    request = h11.Request(method=method, target=target, headers=list(fields.items()))
    parts = [connection.send(request)]
    if body:
        parts.append(connection.send(h11.Data(data=body)))
    parts.append(connection.send(h11.EndOfMessage()))
    return b"".join(part for part in parts if part)


def feed(connection: h11.Connection, handler: ResponseHandler, t: float, data: bytes) -> bool:
    """Parse one read (b"": the end of the connection) into `handler`; True when the
    response is complete. Raises `TransportError`, or what the handler raised."""
    try:
        connection.receive_data(data)
        while True:
            event = connection.next_event()
            if event is h11.NEED_DATA or event is h11.PAUSED:
                return False
            if isinstance(event, h11.Response):
                headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in event.headers}
                handler.head(t, event.status_code, headers)
            elif isinstance(event, h11.Data):
                handler.data(t, bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                handler.end(t)
                return True
            elif isinstance(event, h11.ConnectionClosed):
                raise TransportError("the server closed the connection mid-response")
    except h11.RemoteProtocolError as exc:
        raise TransportError(f"bad HTTP from the server: {exc}", "protocol") from None


def reusable(connection: h11.Connection) -> bool:
    """Whether the exchange is over on both sides, so the connection can carry another."""
    return connection.our_state is h11.DONE and connection.their_state is h11.DONE


def silence(timeout: float) -> TransportError:
    return TransportError(f"nothing received for {timeout:g} s (--timeout)", "timeout")


def connect_failure(origin: Origin, exc: BaseException, timeout: float) -> TransportError:
    """What a failure to connect to `origin` says (`exc`: a timeout, TLS or OS error)."""
    where = f"{origin.host}:{origin.port}"
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):  # (one class from 3.11 on)
        return TransportError(
            f"connecting to {where} timed out after {timeout:g} s", "connect_timeout"
        )
    if isinstance(exc, ssl.SSLError):
        return TransportError(f"TLS with {origin.host} failed: {exc}", "tls")
    if isinstance(exc, OSError):
        # asyncio words it "Connect call failed ('127.0.0.1', 9)": say what the errno says
        reason = os.strerror(exc.errno).lower() if exc.errno else exc.strerror or str(exc)
        return TransportError(
            f"cannot connect to {where}: {reason}; is the server running?", "connection"
        )
    return TransportError(f"cannot connect to {where}: {exc}", "connection")


@functools.lru_cache(maxsize=1)
def tls_context() -> ssl.SSLContext:
    """The same TLS settings as `streamcli chat` (httpx's: certifi or SSL_CERT_FILE)."""
    import httpx

    context = httpx.create_ssl_context()
    with contextlib.suppress(NotImplementedError):
        context.set_alpn_protocols(["http/1.1"])
    return context
