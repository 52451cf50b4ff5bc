"""`streamcli chat`'s source: one request to a model, its reply as events.

The worker thread (`batches`) picks the model if none was given, sends the request,
retries what may be retried while nothing has been shown, and reads the reply: every
chunk that arrived since the last look is parsed into one batch of events. The stall
watchdog ends a reply that sends no content for too long. `close` (Ctrl-C, from the main
thread) cuts the connection, so the server stops generating.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from streamcli import events
from streamcli.errors import BadInput, StreamcliError
from streamcli.events import Event
from streamcli.pipeline import Source
from streamcli.sources.chat import failures, retry
from streamcli.sources.chat.failures import ChatError
from streamcli.sources.chat.http import Http
from streamcli.sources.chat.provider import Call, Decoder, Provider, ServerReported, server_message
from streamcli.sources.chat.reader import BodyReader
from streamcli.sources.chat.redact import Redactor, fingerprint
from streamcli.sources.chat.reply import Malformed, open_reply
from streamcli.sources.chat.request import ChatRequest
from streamcli.sources.chat.watchdog import Watchdog

if TYPE_CHECKING:
    import httpx

ERROR_BODY_LIMIT = 64 * 1024
ERROR_BODY_TIMEOUT = 10.0
LIST_TIMEOUT = 15.0
_OUTPUT_TYPES = frozenset({"text", "reasoning"})


@dataclass(frozen=True)
class Limits:
    timeout: float = 60.0  # the longest silence once the answer has started
    first_token_timeout: float = 300.0  # the longest wait for the first piece of content
    connect_timeout: float = 10.0
    retries: int = 2


class ChatSource(Source):
    name = "chat"

    def __init__(
        self,
        provider: Provider,
        request: ChatRequest,
        limits: Limits = Limits(),
        *,
        key_source: str | None = None,
        redactor: Redactor | None = None,
    ) -> None:
        self.provider = provider
        self.request = request
        self.limits = limits
        self.key_source = (key_source or provider.key_env) if provider.key else None
        self._redact = redactor or Redactor([provider.key])
        self._stopped = threading.Event()
        self._http: Http | None = None
        self._reader: BodyReader | None = None
        self._shown = False  # an output event went out: no more retries
        self._clock = events.StreamClock()

    # -- the Source interface -------------------------------------------------

    def batches(self) -> Iterator[list[Event]]:
        try:
            yield from self._converse()
        except StreamcliError as exc:
            if self._stopped.is_set():
                return
            exc.message = self._redact(exc.message)
            exc.args = (exc.message,)
            raise exc from None
        except Exception as exc:
            if self._stopped.is_set():
                return
            detail = self._redact(f"{type(exc).__name__}: {exc}")
            raise ChatError(f"internal error: {detail}", kind="internal") from None

    def close(self) -> None:
        """Stop now: cut the connection (the server sees it closed) and wake the reader."""
        self._stopped.set()
        if self._http is not None:
            self._http.abort()
        if self._reader is not None:
            self._reader.wake()

    # -- the conversation -----------------------------------------------------

    def _converse(self) -> Iterator[list[Event]]:
        limits = self.limits
        backstop = max(limits.timeout, limits.first_token_timeout) + 5  # the watchdog acts first
        http = self._http = Http(limits.connect_timeout, backstop)
        try:
            request = self.request
            if not request.model:
                model = yield from self._retrying(lambda: self._choose_model(http))
                request = request.with_model(model)
            provider = self.provider
            yield [events.start(self._clock(), "chat", provider=provider.name, model=request.model)]
            yield from self._retrying(lambda: self._attempt(http, request))
        finally:
            http.close()

    def _retrying(self, attempt: Callable[[], Iterator[list[Event]]]) -> Iterator[list[Event]]:
        """Run `attempt` again after a retryable failure, while nothing has been shown."""
        tries = 0
        while True:
            try:
                return (yield from attempt())
            except ChatError as exc:
                if self._shown or not exc.retryable or tries >= self.limits.retries:
                    raise
                if self._stopped.is_set():
                    return None
                wait = retry.delay(tries, exc.retry_after)
                if wait is None:
                    exc.message += f" (the server asks to wait {exc.retry_after:.0f} s)"
                    raise
                tries += 1
                note = (
                    f"{exc.brief}; retrying in {wait:.1f} s "
                    f"(attempt {tries + 1} of {self.limits.retries + 1})"
                )
                yield [events.notice(self._clock(), self._redact(note))]
                if self._stopped.wait(wait):
                    return None

    # -- one request ----------------------------------------------------------

    def _send(self, http: Http, call: Call, read_timeout: float | None = None) -> httpx.Response:
        import httpx

        try:
            return http.send(call, read_timeout=read_timeout)
        except httpx.TimeoutException as exc:
            if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
                raise self._connect_failure(exc, call) from None
            raise self._no_answer(call) from None
        except httpx.RemoteProtocolError as exc:
            raise ChatError(
                f"{call.url} closed the connection without answering ({exc})",
                kind="connection",
                retryable=True,
                brief=f"{call.url} closed the connection without answering",
            ) from None
        except (httpx.TransportError, OSError) as exc:
            raise self._connect_failure(exc, call) from None

    def _connect_failure(self, exc: Exception, call: Call) -> ChatError:
        return failures.connect_failure(
            exc, call.url, self.provider.connect_hint, self.limits.connect_timeout
        )

    def _no_answer(self, call: Call) -> ChatError:
        return ChatError(
            f"no answer from {call.url} within {self.limits.first_token_timeout:g} s "
            "(--first-token-timeout); is the model still loading?",
            kind="timeout",
            retryable=False,
        )

    def _attempt(self, http: Http, request: ChatRequest) -> Iterator[list[Event]]:
        call = self.provider.chat_call(request)
        watchdog = Watchdog(self.limits.first_token_timeout, self.limits.timeout)
        response = self._send(http, call)
        try:
            if response.status_code >= 300:
                raise self._http_failure(http, response, call, request.model)
            decoder = self.provider.decoder()
            reply = open_reply(response.headers.get("content-type"), self.provider.wire, decoder)
            reader = self._reader = BodyReader(response)
            yield from self._read(reader, reply, decoder, watchdog, call.url)
        finally:
            self._reader = None
            if not response.is_closed:
                http.abort()
            with contextlib.suppress(Exception):
                response.close()

    def _read(
        self, reader: BodyReader, reply: Any, decoder: Decoder, watchdog: Watchdog, url: str
    ) -> Iterator[list[Event]]:
        clock = self._clock
        while True:
            got = reader.take(watchdog.remaining())
            if self._stopped.is_set():
                return
            if got is None:
                raise self._stalled(decoder, watchdog, url)
            chunks, ended = got
            t = clock()
            before = decoder.outputs
            out: list[Event] = []
            try:
                for chunk in chunks:
                    reply.feed(chunk, t, out)
                if ended:
                    if reader.error is None or not decoder.finished:
                        reply.close(t, out)
                    if not decoder.finished:
                        raise self._cut_off(decoder, reader, url)
            except (ServerReported, Malformed) as exc:
                yield from self._emit(out)
                raise self._reported(exc, decoder, url) from None
            except ChatError:
                yield from self._emit(out)
                raise
            if decoder.outputs != before:
                watchdog.progress()
            elif watchdog.expired:
                yield from self._emit(out)
                raise self._stalled(decoder, watchdog, url)
            yield from self._emit(out)
            if decoder.complete or ended:
                break
        yield self._ending(decoder, watchdog)

    def _emit(self, out: list[Event]) -> Iterator[list[Event]]:
        if not out:
            return
        if self._redact.secrets:
            for event in out:
                if event["type"] in _OUTPUT_TYPES:
                    event["text"] = self._redact.exact(event["text"])
        self._shown = True
        yield out

    def _ending(self, decoder: Decoder, watchdog: Watchdog) -> list[Event]:
        t = self._clock()
        closing: list[Event] = []
        for call in decoder.tool_calls.done():
            arguments = orjson.dumps(call.arguments).decode()
            problem = f" ({call.problem})" if call.problem else ""
            closing.append(
                events.notice(
                    t,
                    f"the model asked to call the tool {call.name} with {arguments}{problem}; "
                    "tools are not enabled",
                )
            )
        extra: dict[str, Any] = {}
        if decoder.usage:
            extra["usage"] = dict(decoder.usage)
        if watchdog.ttft_ms is not None:
            extra["ttft_ms"] = watchdog.ttft_ms
        extra["duration_ms"] = round((time.monotonic() - watchdog.started) * 1000, 3)
        if decoder.finish_reason:
            extra["finish_reason"] = decoder.finish_reason
        closing.append(events.end(t, decoder.reason, **extra))
        return closing

    # -- failures of a reply --------------------------------------------------

    def _stalled(self, decoder: Decoder, watchdog: Watchdog, url: str) -> ChatError:
        if watchdog.waiting_for_first:
            return self._no_answer(Call("POST", url))
        return ChatError(
            f"the answer from {url} stalled: nothing new for {self.limits.timeout:g} s "
            f"(--timeout) after {decoder.chars} characters",
            kind="stalled",
            retryable=False,
        )

    def _cut_off(self, decoder: Decoder, reader: BodyReader, url: str) -> ChatError:
        got = f"after {decoder.chars} characters" if decoder.outputs else "before any answer"
        if reader.error is not None:
            message = f"the connection to {url} dropped {got}; the answer is incomplete"
        else:
            message = (
                f"the stream from {url} ended without its final event {got}; "
                "the answer is incomplete (truncated)"
            )
        return ChatError(
            message,
            kind="truncated",
            retryable=not decoder.outputs,
            brief=f"the connection to {url} ended {got}",
        )

    def _reported(self, exc: Exception, decoder: Decoder, url: str) -> ChatError:
        if isinstance(exc, ServerReported):
            return ChatError(
                f"{self.provider.label} at {url} reported an error: "
                f"{failures.one_line(exc.message)}",
                kind=exc.kind,
                retryable=exc.retryable and not decoder.outputs,
            )
        return ChatError(f"malformed stream from {url}: {exc}", kind="protocol", retryable=False)

    # -- HTTP errors and models ------------------------------------------------

    def _http_failure(
        self, http: Http, response: httpx.Response, call: Call, model: str | None
    ) -> ChatError:
        status = response.status_code
        body = _error_body(response)
        detail = failures.one_line(server_message(body) or response.reason_phrase or "no detail")
        provider = self.provider
        if status in (401, 403):
            hint = f"the key ending {fingerprint(provider.key)}" if provider.key else ""
            return failures.auth_failure(
                status, call.url, detail, provider.key_env, self.key_source, hint
            )
        if status == 404 and model:
            return self._not_found(http, call, model, detail)
        should = response.headers.get("x-should-retry")
        return failures.status_failure(
            status,
            call.url,
            detail,
            retry.retry_after(response.headers),
            None if should not in ("true", "false") else should == "true",
        )

    def _not_found(self, http: Http, call: Call, model: str, detail: str) -> ChatError:
        names = self._model_names(http)
        base_hint = f"check the base URL (--base-url or {self.provider.base_env})"
        if names is None:
            message = (
                f"{call.url} answered HTTP 404 ({detail}): check the model name and {base_hint[6:]}"
            )
        elif _known(model, names):
            message = f"{call.url} answered HTTP 404 ({detail}): {base_hint}"
        else:
            available = failures.listing(names) if names else "none"
            message = (
                f"model {model!r} was not found at {self.provider.base_url} "
                f"(HTTP 404: {detail}); available: {available}"
            )
        return ChatError(message, kind="not_found", status=404, retryable=False)

    def _model_names(self, http: Http) -> list[str] | None:
        """The server's models, or None when it cannot list them."""
        call = self.provider.models_call()
        try:
            response = self._send(http, call, read_timeout=LIST_TIMEOUT)
        except ChatError:
            return None
        try:
            if response.status_code != 200:
                return None
            body = _error_body(response, limit=8 * 1024 * 1024)
            return self.provider.model_names(body)
        finally:
            response.close()

    def _choose_model(self, http: Http) -> Iterator[list[Event]]:
        """No model was given: use the server's only one, or say which exist."""
        provider = self.provider
        call = provider.models_call()
        response = self._send(http, call, read_timeout=LIST_TIMEOUT)
        try:
            if response.status_code >= 300:
                raise self._http_failure(http, response, call, None)
            names = provider.model_names(_error_body(response, limit=8 * 1024 * 1024))
        finally:
            response.close()
        if len(names) == 1:
            return names[0]
        where = f"{provider.label} at {provider.base_url}"
        if not names:
            pull = " (pull one with `ollama pull NAME`)" if provider.name == "ollama" else ""
            raise ChatError(f"no model given, and {where} has none{pull}", kind="no_model")
        raise BadInput(
            f"no model given; {where} has {failures.listing(names)}: choose one with --model "
            "(or set `model` in the config file)"
        )
        yield []  # pragma: no cover - makes this a generator


def _known(model: str, names: list[str]) -> bool:
    return model in names or f"{model}:latest" in names


def _error_body(response: httpx.Response, limit: int = ERROR_BODY_LIMIT) -> Any:
    """The body of a small answer (an error or a list), parsed as JSON when it is JSON."""
    reader = BodyReader(response)
    deadline = time.monotonic() + ERROR_BODY_TIMEOUT
    parts: list[bytes] = []
    size = 0
    while size < limit:
        got = reader.take(max(0.0, deadline - time.monotonic()))
        if got is None:
            break
        chunks, ended = got
        parts.extend(chunks)
        size += sum(map(len, chunks))
        if ended:
            break
    data = b"".join(parts)[:limit]
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return data.decode("utf-8", "replace")
