"""The OpenAI-compatible routes: `GET /v1/models`, `POST /v1/chat/completions`."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any, cast

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from streamcli.errors import StreamcliError
from streamcli.serve.api import bad_body, one_at_a_time, problem, read_json
from streamcli.serve.bridge import Bridge
from streamcli.serve.openai_api import (
    Asked,
    ChunkSink,
    CompletionSink,
    Head,
    failure,
)
from streamcli.serve.runs import Run, Streamed, until_disconnected
from streamcli.serve.state import ServerState
from streamcli.sources.chat.chat import Answer
from streamcli.sources.chat.settings import ChatSettings
from streamcli.tools.approval import Deny

NO_APPROVAL = (
    "denied: an OpenAI client cannot approve tool calls "
    "(start streamcli serve with --approve to allow them)"
)


async def models(request: Request) -> Response:
    state: ServerState = request.app.state.serve
    try:
        names = await anyio.to_thread.run_sync(state.chat.models)
    except StreamcliError as exc:
        return problem(502, exc.message, "upstream_error", exc.kind)
    owner = state.chat.settings.provider.name if state.chat.settings.provider else "local"
    data = [{"id": name, "object": "model", "created": 0, "owned_by": owner} for name in names]
    return JSONResponse({"object": "list", "data": data})


async def completions(request: Request) -> Response | Streamed:
    state: ServerState = request.app.state.serve
    try:
        asked = Asked.parse(await read_json(request))
    except ValueError as exc:  # BadRequest among them
        return bad_body(exc)
    settings = _settings(state.chat.settings, asked)
    if isinstance(settings, Response):
        return settings

    def answered() -> Answer:
        return state.chat.answer(
            asked.prompt,
            earlier=asked.earlier,
            approver=Deny(NO_APPROVAL),
            settings=settings,
            stderr=state.stderr,
        )

    try:
        # An HTTP provider's answer is only set up here (nothing is sent or read yet), so
        # on the event loop: the thread pool's round trip cost 0.4 ms of TTFT. The local
        # model's may wait for the model.
        if settings.provider is not None:
            answer = answered()
        else:
            answer = await anyio.to_thread.run_sync(answered)
    except StreamcliError as exc:
        status, body = failure({"kind": exc.kind, "message": exc.message, "status": exc.status})
        return Response(body, status, media_type="application/json")
    source = one_at_a_time(state, answer.source)
    model = settings.model or "default"
    if not asked.stream:
        return await _whole(request, state, Run(source, CompletionSink(model), None))
    bridge = Bridge(asyncio.get_running_loop())
    run = Run(source, ChunkSink(bridge, model, asked.include_usage), bridge)
    run.start(state.runs)
    head = await _first(bridge.get(), request, run)
    if head is None:  # the client left before the answer started
        return Response(status_code=499)
    assert isinstance(head, Head)
    if head.status != 200:
        return Response(head.body, head.status, media_type="application/json")
    return Streamed(_chunks(bridge), run.client_left)


def _settings(settings: ChatSettings, asked: Asked) -> ChatSettings | Response:
    """The chat's settings with what the request asks: its model (a server's one; the
    local model only by its own name), system prompt and sampling."""
    changes: dict[str, Any] = {}
    for name in ("temperature", "max_tokens", "seed"):
        if getattr(asked, name) is not None:
            changes[name] = getattr(asked, name)
    if asked.system is not None:
        changes["system"] = asked.system
    if asked.model and asked.model != "default":
        if settings.provider is not None:
            changes["model"] = asked.model
        elif asked.model not in _local_names(settings):
            offered = ", ".join(_local_names(settings))
            message = f"the model {asked.model!r} is not served here (this server offers {offered})"
            return problem(404, message, code="model_not_found")
    return dataclasses.replace(settings, **changes)


def _local_names(settings: ChatSettings) -> list[str]:
    from pathlib import Path

    from streamcli.sources.chat.local.bundled import NAME

    if settings.model:
        return [settings.model, Path(settings.model).name]
    return [NAME]


async def _whole(request: Request, state: ServerState, run: Run) -> Response:
    """`stream: false`: the whole answer, unless the client leaves first (then it is
    stopped, as a stream would be)."""
    run.start(state.runs)
    status = await _first(run.finished(), request, run)
    if status is None:
        return Response(status_code=499)
    sink = run.pipeline.sink
    assert isinstance(sink, CompletionSink)
    code, body = sink.response()
    return Response(body, code, media_type="application/json")


async def _first(waited: Any, request: Request, run: Run) -> Any:
    """What `waited` gives, or None when the client disconnects first (the run is then
    interrupted): a request that waits before its response starts still notices."""
    task = asyncio.ensure_future(waited)
    gone = asyncio.ensure_future(until_disconnected(request.receive))
    await asyncio.wait({task, gone}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        gone.cancel()
        return task.result()
    task.cancel()
    run.client_left()
    return None


async def _chunks(bridge: Bridge) -> Any:
    """The answer's bytes: what waits is written in one go."""
    while (items := await bridge.take()) is not None:
        if items:
            yield b"".join(cast(list[bytes], items))
