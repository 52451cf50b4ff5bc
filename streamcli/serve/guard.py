"""Who may ask the server: the `Host` a request names, the `Origin` it comes from, the key
it shows, and the page's own session.

- `Host` must name this server as the client reached it: localhost or the loopback
  addresses, or the address it listens on — another name is DNS rebinding (a page of some
  site whose name now points here), refused.
- An `Origin` other than the server's own is refused, unless `--cors-origin` names it;
  only those get CORS headers.
- With a key (`STREAMCLI_SERVE_KEY`, `--api-key-file`), every `/v1` and `/api` request
  shows it (`Authorization: Bearer KEY`, compared in constant time) or carries the page's
  cookie; the page itself is opened once with the token printed at start-up (as Jupyter
  does), which sets that cookie and is then dropped from the address bar.
- Every page gets a session cookie of its own; an approval belongs to the session whose
  chat asked for it.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import socket
from collections.abc import Awaitable, Callable, Sequence
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

from streamcli.serve.openai_api import error_body

Scope = dict[str, Any]
App = Callable[[Scope, Any, Any], Awaitable[None]]

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "ip6-localhost"})
SESSION_COOKIE = "streamcli_session"
PAGE_COOKIE = "streamcli_page"
GUARDED = ("/v1/", "/api/")


def is_loopback(host: str) -> bool:
    """Whether `host` (a name or an address) only reaches this machine."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_wildcard(host: str) -> bool:
    return host in ("0.0.0.0", "::", "")


class Guard:
    """The checks every request passes before the app sees it (an ASGI middleware)."""

    def __init__(
        self, app: App, *, host: str, key: str | None, cors_origins: Sequence[str] = ()
    ) -> None:
        self.app = app
        self.key = key
        self.page_token = secrets.token_urlsafe(24)  # opens the page once, with a key
        self._cookie = secrets.token_urlsafe(32)  # what the page then carries
        self.cors_origins = frozenset(origin.rstrip("/") for origin in cors_origins)
        self._hosts = set(LOOPBACK_NAMES)
        if not is_wildcard(host):
            self._hosts.add(host.strip("[]").lower())
        self._any_address = is_wildcard(host)
        if self._any_address:
            self._hosts.update({socket.gethostname().lower(), socket.getfqdn().lower()})

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        host = headers.get("host", "")
        if not self._host_allowed(host):
            message = "this server answers to localhost, not to that host name"
            await _error(send, 403, message, "permission_error", "bad_host")
            return
        origin = headers.get("origin")
        if origin is not None and not self._origin_allowed(origin, scope, host):
            message = "cross-site requests are refused (--cors-origin allows)"
            await _error(send, 403, message, "permission_error", "cross_site")
            return
        cors = [] if origin is None or origin not in self.cors_origins else _cors(origin)
        if scope["method"] == "OPTIONS" and cors:
            await _respond(send, 204, b"", cors, b"text/plain")
            return
        path = scope["path"]
        if self.key is not None and path.startswith(GUARDED) and not self._shows_key(headers):
            if "authorization" in headers:
                said = ("the key is wrong", "wrong_key")
            else:
                said = ("a key is needed: Authorization: Bearer KEY", "no_key")
            await _error(send, 401, said[0], "auth_error", said[1], cors)
            return
        if self.key is not None and path == "/" and not self._has_page_cookie(headers):
            token = parse_qs(scope.get("query_string", b"").decode()).get("token", [""])[0]
            if not hmac.compare_digest(token.encode(), self.page_token.encode()):
                await _plain(send, 401, b"open the address streamcli serve printed (with ?token=)")
                return
            await _respond(send, 303, b"", [(b"location", b"/"), self._page_cookie()], b"")
            return
        scope.setdefault("state", {})["session"] = _cookies(headers).get(SESSION_COOKIE)
        await self.app(scope, receive, _with_headers(send, cors) if cors else send)

    def session_cookie(self) -> tuple[bytes, bytes]:
        """A new page session's cookie (set with the page)."""
        value = secrets.token_urlsafe(24)
        return _set_cookie(SESSION_COOKIE, value)

    def _host_allowed(self, host: str) -> bool:
        name = urlsplit(f"//{host}").hostname or ""
        if name in self._hosts:
            return True
        if self._any_address:
            try:
                ipaddress.ip_address(name)
            except ValueError:
                return False
            return True
        return False

    def _origin_allowed(self, origin: str, scope: Scope, host: str) -> bool:
        if origin.rstrip("/") in self.cors_origins:
            return True
        scheme = scope.get("scheme", "http")
        return origin == f"{scheme}://{host}"

    def _shows_key(self, headers: dict[str, str]) -> bool:
        assert self.key is not None
        shown = headers.get("authorization", "")
        if shown[:7].lower() == "bearer ":
            return hmac.compare_digest(shown[7:].strip().encode(), self.key.encode())
        return self._has_page_cookie(headers)

    def _has_page_cookie(self, headers: dict[str, str]) -> bool:
        carried = _cookies(headers).get(PAGE_COOKIE, "")
        return hmac.compare_digest(carried.encode(), self._cookie.encode())

    def _page_cookie(self) -> tuple[bytes, bytes]:
        return _set_cookie(PAGE_COOKIE, self._cookie)


def _set_cookie(name: str, value: str) -> tuple[bytes, bytes]:
    return (b"set-cookie", f"{name}={value}; Path=/; HttpOnly; SameSite=Strict".encode())


def _headers(scope: Scope) -> dict[str, str]:
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}


def _cookies(headers: dict[str, str]) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(headers.get("cookie", ""))
    except Exception:  # a malformed cookie header is no cookie
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


def _cors(origin: str) -> list[tuple[bytes, bytes]]:
    return [
        (b"access-control-allow-origin", origin.encode()),
        (b"access-control-allow-headers", b"authorization, content-type"),
        (b"access-control-allow-methods", b"GET, POST, OPTIONS"),
        (b"vary", b"Origin"),
    ]


def _with_headers(send: Any, extra: list[tuple[bytes, bytes]]) -> Any:
    async def sending(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return sending


async def _error(
    send: Any,
    status: int,
    message: str,
    kind: str,
    code: str,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """An error in OpenAI's shape, as every endpoint answers."""
    body = error_body(message, kind, code)
    await _respond(send, status, body, headers or [], b"application/json")


async def _plain(send: Any, status: int, text: bytes) -> None:
    await _respond(send, status, text + b"\n", [], b"text/plain; charset=utf-8")


async def _respond(
    send: Any, status: int, body: bytes, headers: list[tuple[bytes, bytes]], kind: bytes
) -> None:
    head = [*headers, (b"content-length", str(len(body)).encode())]
    if kind:
        head.append((b"content-type", kind))
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})
