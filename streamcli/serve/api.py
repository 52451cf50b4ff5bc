"""streamcli's own streams over HTTP, as server-sent events of the `--json` objects:
`POST /api/chat` (an answer, saved in the history), `GET /api/tail` (a `--tail` file's
lines), `GET|POST /api/replay` (a recording played back with its timing)."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import math
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, cast

import anyio
import orjson
from starlette.requests import Request
from starlette.responses import Response

from streamcli.errors import StreamcliError
from streamcli.events import Event
from streamcli.options import MAX_ROW_ID
from streamcli.serve import render
from streamcli.serve.approvals import PageApprover
from streamcli.serve.bridge import Bridge
from streamcli.serve.openai_api import error_body
from streamcli.serve.runs import Run, Streamed
from streamcli.serve.sse import PING, SseSink
from streamcli.serve.state import ServerState
from streamcli.sources.chat.chat import Answer
from streamcli.stream import Screen, Source
from streamcli.tools.approval import Approver, Deny

MAX_BODY = 16 * 1024 * 1024  # bytes of a request body (a recording dropped on the page)
NO_PAGE = "denied: only the page that asked can approve a tool call (no page session)"


CODES = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         413: "too_large", 500: "server_error", 502: "upstream_error"}  # fmt: skip


class TooLarge(ValueError):
    """A request body past `MAX_BODY` (HTTP 413)."""


def problem(
    status: int, message: str, kind: str | None = None, code: str | None = None
) -> Response:
    """An error as `{"error": {"message", "type", "code"}}`, as every endpoint answers:
    `kind` and `code` say what OpenAI's API would (by default, from the status)."""
    kind = kind or ("invalid_request_error" if status < 500 else "server_error")
    body = error_body(message, kind, code or CODES.get(status))
    return Response(body, status, media_type="application/json")


def bad_body(exc: ValueError) -> Response:
    """A body that could not be read as asked: 413 past the limit, else 400."""
    return problem(413 if isinstance(exc, TooLarge) else 400, str(exc))


async def read_json(request: Request) -> Any:
    """The request's JSON body; raises `ValueError` saying what is wrong."""
    body = await read_body(request)
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"the body is not JSON: {exc}") from None


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge(f"the body is over {limit // (1024 * 1024)} MiB")
    return bytes(body)


async def sse_body(bridge: Bridge, ping: float) -> AsyncIterator[bytes]:
    """The stream's bytes as they come, a `: ping` comment while it is idle."""
    while (items := await bridge.take(ping)) is not None:
        yield b"".join(cast(list[bytes], items)) if items else PING


class Outlet:
    """Where a stream served as SSE goes: its bridge to the response, its sink, and the
    display an approval question borrows."""

    def __init__(self, extra: Callable[[list[Event]], list[Event]] | None = None) -> None:
        self.bridge = Bridge(asyncio.get_running_loop())
        self.sink = SseSink(self.bridge, extra)
        self.screen = Screen()

    def respond(
        self, state: ServerState, source: Source, headers: list[tuple[str, str]] | None = None
    ) -> Streamed:
        """Run `source` into this outlet; the client's leaving interrupts it."""
        run = Run(source, self.sink, self.bridge, screen=self.screen)
        run.start(state.runs)
        body = sse_body(self.bridge, state.flags.ping)
        return Streamed(body, run.client_left, headers=headers or [])


def outlet_for(request: Request) -> Outlet:
    """The request's outlet: with `?render=html`, the page's HTML besides the events
    (`render.py`), written once a frame, as the page draws. Raises `ValueError` for
    another `render`."""
    extra = render.wanted(request.query_params.get("render"))
    outlet = Outlet(extra)
    if extra is not None:
        outlet.sink.frame_interval = render.FRAME
    return outlet


async def chat(request: Request) -> Response | Streamed:
    """`{"prompt", "model"?, "conversation"?}` → the answer's events; a new conversation's
    id, or the one continued, in the `X-Conversation` header. A tool call that needs
    approval is asked of the page that sent this (its session), as an `approval` event."""
    state: ServerState = request.app.state.serve
    try:
        asked = await read_json(request)
    except ValueError as exc:
        return bad_body(exc)
    if not isinstance(asked, dict):
        return problem(400, "the body must be a JSON object")
    prompt, model, number = (asked.get(k) for k in ("prompt", "model", "conversation"))
    if not isinstance(prompt, str) or not prompt.strip():
        return problem(400, "prompt: the question, a non-empty string")
    if model is not None and not isinstance(model, str):
        return problem(400, "model: a string")
    if number is not None and (type(number) is not int or not 1 <= number <= MAX_ROW_ID):
        return problem(400, "conversation: a conversation's id (a number)")
    try:
        outlet = outlet_for(request)
    except ValueError as exc:
        return problem(400, str(exc))
    session = request.scope.get("state", {}).get("session")
    approver = (
        PageApprover(state.approvals, session, outlet.screen, outlet.sink)
        if session
        else Deny(NO_PAGE)
    )
    try:
        answer, conversation = await anyio.to_thread.run_sync(
            _open_answer, state, prompt, model, number, approver
        )
    except StreamcliError as exc:
        return problem(404 if "no conversation" in exc.message else 400, exc.message)
    headers = [("x-conversation", str(conversation))] if conversation else []
    return outlet.respond(state, one_at_a_time(state, answer.source), headers)


def _open_answer(
    state: ServerState,
    prompt: str,
    model: str | None,
    number: int | None,
    approver: Approver,
) -> tuple[Answer, int | None]:
    """The answer and its conversation's id (a new one is made now, so the page knows it
    before the answer ends). In a worker thread: it opens the history."""
    from streamcli.history.conversation import Conversation, open_conversation

    found = open_conversation(False, number, not state.history, state.environ)
    conversation: Conversation | None = None
    if state.history:
        conversation = found if number is not None else _new_conversation(state)
    settings = state.chat.settings
    if found.system is not None:
        settings = dataclasses.replace(settings, system=found.system)
    if model and settings.provider is not None:
        settings = dataclasses.replace(settings, model=model)
    answer = state.chat.answer(
        prompt,
        earlier=found.earlier,
        conversation=conversation,
        approver=approver,
        settings=settings,
        stderr=state.stderr,
    )
    return answer, conversation.id if conversation is not None else None


def _new_conversation(state: ServerState) -> Any:
    from streamcli.history.conversation import Conversation
    from streamcli.history.store import History, history_path

    history = History.open(history_path(state.environ))
    number = history.new_conversation()
    return Conversation(lambda: history, number)


async def tail(request: Request) -> Response | Streamed:
    """`?file=NAME` (a `--tail` file; any other name is 404) → its `line` events, from
    its last `lines` (default 10), followed through rotation and truncation."""
    from streamcli.sources.tail.flags import TailOptions
    from streamcli.sources.tail.source import TailSource

    state: ServerState = request.app.state.serve
    path = state.tails.get(request.query_params.get("file", ""))
    if path is None:
        return problem(404, "no such file is offered (streamcli serve --tail FILE offers one)")
    lines = request.query_params.get("lines", "10")
    if not lines.isdigit():
        return problem(400, "lines: a number of lines")
    try:
        outlet = outlet_for(request)
    except ValueError as exc:
        return problem(400, str(exc))
    source = TailSource(TailOptions(files=[str(path)], lines=lines))
    return outlet.respond(state, source)


async def replay(request: Request) -> Response | Streamed:
    """`GET ?file=NAME` (a `--replay` file) or `POST` with the recording as the body
    (dropped on the page) → its events, with their timing (`speed`, default 1)."""
    from streamcli.sources.replay.flags import MAX_SPEED, ReplayOptions
    from streamcli.sources.replay.source import open_replay

    state: ServerState = request.app.state.serve
    try:
        speed = float(request.query_params.get("speed", "1"))
    except ValueError:
        speed = math.nan
    if not 0 <= speed <= MAX_SPEED:  # as `replay --speed` allows (NaN is not)
        return problem(400, f"speed: a number from 0 to {MAX_SPEED}")
    options = ReplayOptions(speed=speed)
    try:
        outlet = outlet_for(request)
    except ValueError as exc:
        return problem(400, str(exc))
    if request.method == "POST":
        try:
            data = await read_body(request)
        except ValueError as exc:
            return bad_body(exc)
        path, stdin = "-", io.BytesIO(data)
    else:
        found = state.recordings.get(request.query_params.get("file", ""))
        if found is None:
            return problem(404, "no such recording is offered (streamcli serve --replay FILE)")
        path, stdin = str(found), io.BytesIO()
    try:
        source = await anyio.to_thread.run_sync(lambda: open_replay(path, stdin, options))
    except StreamcliError as exc:
        return problem(400, exc.message)
    return outlet.respond(state, source)


class _OneAtATime(Source):
    """The model in this process answers one question at a time; the others wait."""

    def __init__(self, source: Any, lock: threading.Lock) -> None:
        self.source = source
        self.name = source.name
        self.taps = source.taps
        self.transcript = source.transcript
        self._lock = lock
        self._closed = threading.Event()

    def batches(self) -> Iterator[list[Event]]:
        while not self._lock.acquire(timeout=0.05):
            if self._closed.is_set():
                return
        try:
            yield from self.source.batches()
        finally:
            self._lock.release()

    def close(self) -> None:
        self._closed.set()
        self.source.close()


def one_at_a_time(state: ServerState, source: Any) -> Any:
    """`source` as it may run here: the local model's answers take turns."""
    if state.chat.settings.provider is None:
        return _OneAtATime(source, state.local_turns)
    return source
