"""Every way a chat request can fail, as one clear line: what failed, where, what to do.

`ChatError` is the `StreamcliError` the chat source raises (exit status 1). Its `kind`
names the failure in the `error` event; `retryable` and `retry_after` drive the retries,
which only happen before any output was shown.
"""

from __future__ import annotations

import re
import socket
import ssl
from typing import TYPE_CHECKING

from streamcli.errors import StreamcliError
from streamcli.sources.chat.protocols.provider import Provider, ServerReported
from streamcli.sources.chat.protocols.sniff import NotAStream

if TYPE_CHECKING:
    import httpx

_SPACE = re.compile(r"\s+")
MAX_SERVER_MESSAGE = 300


class ChatError(StreamcliError):
    """A chat that failed: what went wrong, and whether asking again may help."""

    kind = "chat"

    def __init__(
        self,
        message: str,
        *,
        kind: str | None = None,
        status: int | None = None,
        retryable: bool | None = None,
        retry_after: float | None = None,
        brief: str | None = None,
    ) -> None:
        super().__init__(message, kind=kind, status=status, retryable=retryable)
        self.retry_after = retry_after
        self.brief = brief or message  # a short form, for "retrying" notices


def one_line(text: str, limit: int = MAX_SERVER_MESSAGE) -> str:
    """A server's message as one short line."""
    text = _SPACE.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    while exc is not None and exc not in chain:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return chain


def connect_failure(exc: Exception, url: str, hint: str, connect_timeout: float) -> ChatError:
    """A request that never reached the server: refused, DNS, TLS, timeout."""
    import httpx

    chain = _causes(exc)
    if isinstance(exc, httpx.ConnectTimeout):
        return ChatError(
            f"connecting to {url} timed out after {connect_timeout:g} s: {hint}",
            kind="connect_timeout",
            retryable=True,
            brief=f"connecting to {url} timed out",
        )
    if any(isinstance(c, ssl.SSLError) for c in chain) or "SSL" in str(exc):
        reason = next((c for c in chain if isinstance(c, ssl.SSLError)), exc)
        detail = getattr(reason, "reason", None) or one_line(str(reason), 120)
        return ChatError(
            f"TLS with {url} failed ({detail}): check the URL's scheme (http or https), "
            "the server's certificate and SSL_CERT_FILE",
            kind="tls",
            retryable=False,
        )
    if any(isinstance(c, socket.gaierror) for c in chain) or "Name or service" in str(exc):
        host = httpx.URL(url).host
        return ChatError(
            f"cannot resolve the host {host!r} of {url}: check the address ({hint})",
            kind="dns",
            retryable=False,
        )
    if any(isinstance(c, ConnectionRefusedError) for c in chain) or "refused" in str(exc):
        return ChatError(
            f"cannot connect to {url}: connection refused; {hint}",
            kind="connection_refused",
            retryable=True,
            brief=f"connection to {url} refused",
        )
    return ChatError(
        f"cannot connect to {url}: {one_line(str(exc), 120) or type(exc).__name__}; {hint}",
        kind="connection",
        retryable=True,
        brief=f"cannot connect to {url}",
    )


def listing(names: list[str], limit: int = 12) -> str:
    """Model names for a message: the first `limit`, and how many more."""
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def http_failure(
    provider: Provider,
    key_source: str | None,
    url: str,
    response: httpx.Response,
    message: str | None,
    model: str | None,
    names: list[str] | None,
) -> ChatError:
    """An HTTP error status from `provider` at `url`, with the server's own `message`:
    a key refused, an unknown model (`names`: the models the server lists, if it could),
    or any other status."""
    from streamcli.redact import fingerprint
    from streamcli.sources.chat import retry

    status = response.status_code
    detail = one_line(message or response.reason_phrase or "no detail")
    if status in (401, 403):
        hint = f"the key ending {fingerprint(provider.key)}" if provider.key else ""
        return auth_failure(status, url, detail, provider.key_env, key_source, hint)
    if status == 404 and model:
        base = f"--base-url or {provider.base_env}"
        return not_found(url, detail, model, provider.base_url, base, names)
    should = response.headers.get("x-should-retry")
    return status_failure(
        status,
        url,
        detail,
        retry.retry_after(response.headers),
        None if should not in ("true", "false") else should == "true",
    )


def auth_failure(
    status: int, url: str, detail: str, key_env: str, key_source: str | None, key_hint: str
) -> ChatError:
    """HTTP 401/403: never retried; say where the key comes from."""
    if key_source is None:
        message = f"{url} needs an API key (HTTP {status}: {detail}): set {key_env}"
    else:
        word = "rejected the API key" if status == 401 else "refused access with the API key"
        message = (
            f"{url} {word} (HTTP {status}: {detail}): check the key in {key_source} ({key_hint})"
        )
    return ChatError(
        message,
        kind="auth",
        status=status,
        retryable=False,
    )


def status_failure(
    status: int, url: str, detail: str, retry_after: float | None, should_retry: bool | None
) -> ChatError:
    """Any other HTTP error status; 408, 409, 429 and 5xx may be retried."""
    from streamcli.sources.chat.retry import retryable_status

    retryable = retryable_status(status) if should_retry is None else should_retry
    if status == 429:
        message, kind = f"rate limited by {url} (HTTP 429: {detail})", "rate_limited"
    elif status >= 500:
        message, kind = f"{url} failed (HTTP {status}: {detail})", "server_error"
    elif status in (400, 422):
        message, kind = f"{url} refused the request (HTTP {status}: {detail})", "bad_request"
    elif 300 <= status < 400:
        message, kind = f"{url} redirects (HTTP {status}: {detail}); use the new address", "http"
    else:
        message, kind = f"{url} answered HTTP {status}: {detail}", "http"
    return ChatError(
        message,
        kind=kind,
        status=status,
        retryable=retryable,
        retry_after=retry_after,
        brief=f"HTTP {status} from {url}" + (f" ({detail})" if len(detail) <= 60 else ""),
    )


def cut_off(url: str, chars: int, outputs: int, dropped: bool) -> ChatError:
    """A reply that ended before its final event (`dropped`: the connection failed)."""
    got = f"after {chars} characters" if outputs else "before any answer"
    if dropped:
        message = f"the connection to {url} dropped {got}; the answer is incomplete"
    else:
        message = (
            f"the stream from {url} ended without its final event {got}; "
            "the answer is incomplete (truncated)"
        )
    return ChatError(
        message,
        kind="truncated",
        retryable=not outputs,
        brief=f"the connection to {url} ended {got}",
    )


def reported(exc: Exception, label: str, url: str, outputs: int) -> ChatError:
    """A reply the server marked as failed, or that is not the stream it should be."""
    if isinstance(exc, ServerReported) and exc.whole:
        return ChatError(
            f"{url} answered HTTP 200 with a JSON error object: {one_line(exc.message)}",
            kind=exc.kind,
            retryable=exc.retryable and not outputs,
        )
    if isinstance(exc, ServerReported):
        return ChatError(
            f"{label} at {url} reported an error: {one_line(exc.message)}",
            kind=exc.kind,
            retryable=exc.retryable and not outputs,
        )
    if isinstance(exc, NotAStream):
        return ChatError(f"{url} answered HTTP 200 {exc}", kind="protocol", retryable=False)
    return ChatError(f"malformed stream from {url}: {exc}", kind="protocol", retryable=False)


def not_found(
    url: str, detail: str, model: str, base_url: str, base_flag: str, names: list[str] | None
) -> ChatError:
    """HTTP 404 for `model`: an unknown model (then which exist), or a wrong base URL.
    `names`: the server's models (None: it could not list them)."""
    base_hint = f"the base URL ({base_flag})"
    if names is None:
        message = f"{url} answered HTTP 404 ({detail}): check the model name and {base_hint}"
    elif model in names or f"{model}:latest" in names:
        message = f"{url} answered HTTP 404 ({detail}): check {base_hint}"
    else:
        available = listing(names) if names else "none"
        message = (
            f"model {model!r} was not found at {base_url} (HTTP 404: {detail}); "
            f"available: {available}"
        )
    return ChatError(message, kind="not_found", status=404, retryable=False)
