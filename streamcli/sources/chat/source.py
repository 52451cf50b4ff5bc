"""`streamcli chat`'s source: a request to a model, its reply as events.

The worker thread (`batches`) picks the model if none was given, sends the request,
retries what may be retried while nothing of that reply has been shown, and reads the
reply: every chunk that arrived since the last look is parsed into one batch of events.
The stall watchdog ends a reply that sends no content for too long. When tools are
offered and the reply asks for some, they run (`tools.round`), their results are sent
back with the answer so far, and the next reply streams on, up to the round limit: all
in one stream, with one `start` and one `end`. `close` (Ctrl-C, from the main thread)
cuts the connection, so the server stops generating, and kills running tools.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Generator, Iterator
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

from streamcli import events
from streamcli.errors import BadInput, StreamcliError
from streamcli.events import Event
from streamcli.redact import Redactor
from streamcli.sources.chat import failures, retry
from streamcli.sources.chat.exchange import Exchange
from streamcli.sources.chat.failures import ChatError
from streamcli.sources.chat.protocols.http import Clients, Http, fresh
from streamcli.sources.chat.protocols.provider import (
    Call,
    Decoder,
    Provider,
    ServerReported,
    server_message,
)
from streamcli.sources.chat.protocols.reply import Malformed, open_reply
from streamcli.sources.chat.request import ChatRequest
from streamcli.sources.chat.retry import DEFAULT_LIMITS, Limits
from streamcli.sources.chat.watchdog import Watchdog
from streamcli.stream import Source
from streamcli.tools.call import ToolCall, unique_ids
from streamcli.transcript import Transcript

if TYPE_CHECKING:
    import httpx

    from streamcli.tools.toolbox import Toolbox

_T = TypeVar("_T")

ERROR_BODY_LIMIT = 64 * 1024
ERROR_BODY_TIMEOUT = 10.0
MODEL_LIST_LIMIT = 8 * 1024 * 1024
LIST_TIMEOUT = 15.0


class ChatSource(Source):
    """A chat with a server: the streamed answer as events, with retries and tool rounds."""

    name = "chat"

    def __init__(
        self,
        provider: Provider,
        request: ChatRequest,
        limits: Limits = DEFAULT_LIMITS,
        *,
        key_source: str | None = None,
        redactor: Redactor | None = None,
        toolbox: Toolbox | None = None,
        clients: Clients | None = None,
    ) -> None:
        self.provider = provider
        self.request = request
        self.limits = limits
        self.toolbox = toolbox  # None: no tools offered
        self.key_source = (key_source or provider.key_env) if provider.key else None
        self._redact = redactor or Redactor([provider.key])
        self._stopped = threading.Event()
        self._http: Http | None = None  # the client of the request in flight
        self._http_lock = threading.Lock()
        self._clients = clients  # a session's or a server's clients, kept alive
        self._exchange: Exchange | None = None
        self._shown = False  # an output event went out: no more retries
        self._started = False  # the start event went out
        self._clock = events.StreamClock()
        # This exchange so far: sent back after tools, read by the history and a session.
        self.transcript = Transcript()
        self._call_ids: set[str] = set()
        # The answer and the reasoning are masked as one text, whatever their pieces.
        self._masker = self._redact.events(self._clock)

    # -- the Source interface -------------------------------------------------

    def batches(self) -> Iterator[list[Event]]:
        from streamcli.tools.round import RoundStopped

        try:
            yield from self._converse()
        except (_Stopped, RoundStopped):
            yield from self._held(cut_short=True)  # the text so far, for the history
            return
        except StreamcliError as exc:
            if self._stopped.is_set():
                return
            yield from self._held(cut_short=True)  # what the masker held, before the error
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
        with self._http_lock:  # an exchange made from now on sees `_stopped` first
            if self._http is not None:
                self._http.abort()
            if self._exchange is not None:
                self._exchange.wake()
        if self.toolbox is not None:
            self.toolbox.children.kill()

    # -- the conversation -----------------------------------------------------

    def _converse(self) -> Iterator[list[Event]]:
        with self._client() as http:
            request = self.request
            if not request.model:
                model = yield from self._retrying(lambda: self._choose_model(http))
                request = request.with_model(model)
            if not self._started:
                yield [self._start(request.model)]
            if self.toolbox is not None and (said := self.toolbox.take_notices(self._clock())):
                yield said
            yield from self._rounds(http, request)

    @contextlib.contextmanager
    def _client(self) -> Iterator[Http]:
        """The HTTP client for this answer: leased from the kept-alive ones, or fresh; once
        given back, `close` no longer reaches it (another answer may have it)."""
        if self._clients is not None:
            lease = self._clients.lease()
        else:
            lease = fresh(self.limits.connect_timeout, self.limits.read_backstop)
        with lease as http:
            with self._http_lock:
                self._http = http
            try:
                yield http
            finally:
                with self._http_lock:
                    self._http = None

    def _rounds(self, http: Http, first: ChatRequest) -> Iterator[list[Event]]:
        """Ask; while the answer asks for tools (and may), run them and ask again."""
        request, rounds = first, 0
        usage: dict[str, int] = {}
        began: Watchdog | None = None
        while True:
            self._shown = False  # a new request: retryable until its reply shows something
            decoder, watchdog = yield from self._retrying(partial(self._attempt, http, request))
            began = began or watchdog
            for name, count in decoder.usage.items():
                usage[name] = usage.get(name, 0) + count
            calls = decoder.calls()
            toolbox = self.toolbox
            if not calls or toolbox is None or rounds >= toolbox.max_rounds:
                yield from self._held()
                yield self._ending(decoder, calls, usage, began)
                return
            rounds += 1
            yield from self._held(at_a_break=True)  # the text before the calls
            yield from self._run_tools(unique_ids(calls, self._call_ids), toolbox)
            request = first.followed_by(self.transcript.finish())

    def _run_tools(self, calls: list[ToolCall], toolbox: Toolbox) -> Iterator[list[Event]]:
        from streamcli.tools.round import run_round

        for batch in run_round(calls, toolbox, self._clock, self._stopped):
            self._redact.tool_texts(batch)  # a tool may print the key: never shown, sent
            self.transcript.feed(batch)
            yield batch

    def _retrying(
        self, attempt: Callable[[], Generator[list[Event], None, _T]]
    ) -> Generator[list[Event], None, _T]:
        """Run `attempt` again after a retryable failure, while nothing has been shown."""
        tries = 0
        while True:
            try:
                return (yield from attempt())
            except ChatError as exc:
                if self._shown or not exc.retryable or tries >= self.limits.retries:
                    raise
                if self._stopped.is_set():
                    raise _Stopped from None
                wait = retry.delay(tries, exc.retry_after)
                if wait is None:
                    exc.message += f" (the server asks to wait {exc.retry_after:.0f} s)"
                    raise
                tries += 1
                note = (
                    f"{exc.brief}; retrying in {wait:.1f} s "
                    f"(attempt {tries + 1} of {self.limits.retries + 1})"
                )
                notice = events.notice(self._clock(), self._redact(note))
                # `start` comes first, even when the model is not known yet.
                yield [notice] if self._started else [self._start(self.request.model), notice]
                if self._stopped.wait(wait):
                    raise _Stopped from None

    def _start(self, model: str | None) -> Event:
        self._started = True
        extra = {"model": model} if model else {}
        return events.start(self._clock(), "chat", provider=self.provider.name, **extra)

    # -- one request ----------------------------------------------------------

    def _open(
        self, http: Http, call: Call, wait: float, listing: bool = False
    ) -> tuple[Exchange, httpx.Response]:
        """Send `call` and wait up to `wait` seconds for the response headers."""
        import httpx

        with self._http_lock:  # a `close` before this one is not missed
            if self._stopped.is_set():
                raise _Stopped
            exchange = self._exchange = Exchange(http, call)
        try:
            response = exchange.headers(wait)
        except httpx.TimeoutException as exc:
            if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
                raise self._connect_failure(exc, call) from None
            raise self._no_answer(call, listing) from None
        except httpx.RemoteProtocolError as exc:
            raise ChatError(
                f"{call.url} closed the connection without answering ({exc})",
                kind="connection",
                retryable=True,
                brief=f"{call.url} closed the connection without answering",
            ) from None
        except (httpx.TransportError, OSError) as exc:
            raise self._connect_failure(exc, call) from None
        if response is None:
            exchange.close()
            if self._stopped.is_set():
                raise _Stopped
            raise self._no_answer(call, listing)
        return exchange, response

    def _connect_failure(self, exc: Exception, call: Call) -> ChatError:
        return failures.connect_failure(
            exc, call.url, self.provider.connect_hint, self.limits.connect_timeout
        )

    def _no_answer(self, call: Call, listing: bool = False) -> ChatError:
        if listing:
            return ChatError(f"no answer from {call.url} within {LIST_TIMEOUT:g} s", kind="timeout")
        return ChatError(
            f"no answer from {call.url} within {self.limits.first_token_timeout:g} s "
            "(--first-token-timeout); is the model still loading?",
            kind="timeout",
            retryable=False,
        )

    def _attempt(
        self, http: Http, request: ChatRequest
    ) -> Generator[list[Event], None, tuple[Decoder, Watchdog]]:
        call = self.provider.chat_call(request)
        watchdog = Watchdog(self.limits.first_token_timeout, self.limits.timeout)
        exchange, response = self._open(http, call, watchdog.remaining())
        try:
            if response.status_code >= 300:
                raise self._http_failure(http, exchange, call, request.model)
            decoder = self.provider.decoder()
            decoder.mask = self._redact.exact  # what the server says: never a key
            reply = open_reply(response.headers.get("content-type"), self.provider.wire, decoder)
            yield from self._read(exchange, reply, decoder, watchdog, call.url)
            return decoder, watchdog
        finally:
            exchange.close()
            self._exchange = None

    def _read(
        self, exchange: Exchange, reply: Any, decoder: Decoder, watchdog: Watchdog, url: str
    ) -> Iterator[list[Event]]:
        clock = self._clock
        while True:
            got = exchange.take(watchdog.remaining())
            if self._stopped.is_set():
                raise _Stopped
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
                    if exchange.error is None or not decoder.finished:
                        reply.close(t, out)
                    if not decoder.finished:
                        raise failures.cut_off(
                            url, decoder.chars, decoder.outputs, exchange.error is not None
                        )
            except (ServerReported, Malformed) as exc:
                yield from self._emit(out)
                raise failures.reported(exc, self.provider.label, url, decoder.outputs) from None
            except ChatError:
                yield from self._emit(out)
                raise
            if decoder.outputs != before:
                watchdog.progress()
            elif watchdog.expired:
                yield from self._emit(out)
                raise self._stalled(decoder, watchdog, url)
            # What the masker holds goes out with the end of the answer (a reply that asks
            # for no tools), or at the break before its tool calls (`_rounds`).
            done = decoder.complete or ended
            yield from self._emit(out, last=done and not decoder.tool_calls)
            if decoder.complete or ended:
                break

    def _emit(self, out: list[Event], last: bool = False) -> Iterator[list[Event]]:
        """Send `out` on, the keys in its text masked; what the masker holds back goes out
        with the `last` events of the answer."""
        if self._redact.secrets:
            out = self._masker.mask(out, last)
        yield from self._send(out)

    def _held(self, at_a_break: bool = False, cut_short: bool = False) -> Iterator[list[Event]]:
        """What the masker holds back: at the end of the answer, or `at_a_break` (before
        tool calls) or when the answer is `cut_short` (stopped, failed: it could have gone
        on into a key), where a held start of a key is masked."""
        if self._redact.secrets:
            yield from self._send(self._masker.held(end=not (at_a_break or cut_short)))

    def _send(self, out: list[Event]) -> Iterator[list[Event]]:
        if not out:
            return
        self._shown = True
        self.transcript.feed(out)
        yield out

    def _ending(
        self, decoder: Decoder, calls: list[ToolCall], usage: dict[str, int], watchdog: Watchdog
    ) -> list[Event]:
        t = self._clock()
        closing: list[Event] = []
        if self.toolbox is None:
            why = "tools are not enabled (--tool NAME offers one)"
        else:
            why = (
                f"not run: the limit of {self.toolbox.max_rounds} rounds of tool calls "
                "was reached (--max-tool-rounds); the answer is incomplete"
            )
        for call in calls:
            arguments = orjson.dumps(call.arguments).decode()
            problem = f" ({call.problem})" if call.problem else ""
            asked = f"the model asked to call the tool {call.name} with {arguments}{problem}"
            closing.append(events.notice(t, f"{asked}; {why}"))
        extra: dict[str, Any] = {}
        if usage:
            extra["usage"] = dict(usage)
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

    # -- HTTP errors and models ------------------------------------------------

    def _http_failure(
        self, http: Http, exchange: Exchange, call: Call, model: str | None
    ) -> ChatError:
        response = exchange.response
        assert response is not None
        body = exchange.small_body(ERROR_BODY_LIMIT, ERROR_BODY_TIMEOUT)
        listed = self._models_if_listed(http) if response.status_code == 404 and model else None
        return failures.http_failure(
            self.provider, self.key_source, call.url, response, server_message(body), model, listed
        )

    def _models_if_listed(self, http: Http) -> list[str] | None:
        try:
            return self._list_models(http)
        except ChatError:
            return None

    def list_models(self) -> list[str]:
        """The server's models, asked in the caller's thread (raises `ChatError`, in the
        words a chat would use, when it cannot list them)."""
        with self._client() as http:
            return self._list_models(http)

    def _list_models(self, http: Http) -> list[str]:
        """The server's models (raises `ChatError` when it cannot list them)."""
        call = self.provider.models_call()
        exchange, response = self._open(http, call, LIST_TIMEOUT, listing=True)
        try:
            if response.status_code >= 300:
                raise self._http_failure(http, exchange, call, None)
            body = exchange.small_body(MODEL_LIST_LIMIT, LIST_TIMEOUT)
            return [self._redact.exact(name) for name in self.provider.model_names(body)]
        finally:
            exchange.close()
            self._exchange = None

    def _choose_model(self, http: Http) -> Generator[list[Event], None, str]:
        """No model was given: use the server's only one, or say which exist."""
        provider = self.provider
        names = self._list_models(http)
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


class _Stopped(Exception):
    """The source was closed while waiting."""
