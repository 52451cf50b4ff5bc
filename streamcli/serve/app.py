"""The server's routes, and the access log.

GET  /                      the live page (static/, shipped in the package)
GET  /static/highlight.css  highlighted code's colours (render.py)
GET  /v1/models             OpenAI-compatible (v1.py)
POST /v1/chat/completions
POST /api/chat              streamcli's events as SSE (api.py)
GET  /api/tail?file=NAME
GET  /api/replay?file=NAME, POST /api/replay
GET  /api/info              what this server offers (the page asks)
GET  /api/history, /api/history/ID (`?render=html`: each answer as HTML too)
POST /api/approve           {"id", "approve": true|false}: a tool call's answer
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, TextIO

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from streamcli.errors import StreamcliError
from streamcli.options import MAX_ROW_ID
from streamcli.sanitize import sanitize
from streamcli.serve import api, render, v1
from streamcli.serve.guard import SESSION_COOKIE, Guard
from streamcli.serve.state import ServerState

STATIC = Path(__file__).parent / "static"
# The page runs its own script and styles only: nothing from another origin, no inline
# script, no plugins, not framed.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


async def page(request: Request) -> Response:
    response = FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")
    response.headers["content-security-policy"] = PAGE_POLICY
    response.headers["referrer-policy"] = "no-referrer"
    response.headers["x-content-type-options"] = "nosniff"
    response.headers["cache-control"] = "no-store"
    if SESSION_COOKIE not in request.cookies:
        guard: Guard = request.app.state.guard
        name, value = guard.session_cookie()
        response.raw_headers.append((name, value))
    return response


async def highlight_css(request: Request) -> Response:
    """Highlighted code's stylesheet, made by the Pygments that highlights (`render.py`)."""
    return Response(render.highlight_css(), media_type="text/css; charset=utf-8")


async def info(request: Request) -> Response:
    state: ServerState = request.app.state.serve
    settings = state.chat.settings
    toolbox = state.chat.toolbox
    return JSONResponse(
        {
            "provider": settings.provider.name if settings.provider else "local",
            "model": settings.model,
            "tails": sorted(state.tails),
            "recordings": sorted(state.recordings),
            "tools": sorted(toolbox.tools) if toolbox else [],
            "history": state.history,
        }
    )


async def history(request: Request) -> Response:
    state: ServerState = request.app.state.serve
    number = request.path_params.get("number")
    try:
        rendered = render.wanted(request.query_params.get("render")) is not None
    except ValueError as exc:
        return api.problem(400, str(exc))
    try:
        found = await anyio.to_thread.run_sync(_read_history, state, number, rendered)
    except StreamcliError as exc:
        return api.problem(500, exc.message)
    if found is None:
        return api.problem(404, f"there is no conversation {number}")
    return JSONResponse(found)


def _read_history(state: ServerState, number: int | None, rendered: bool = False) -> Any:
    from streamcli.history.store import History, history_path

    path = history_path(state.environ)
    if not path.exists() or (number is not None and not 1 <= number <= MAX_ROW_ID):
        return None if number is not None else {"conversations": []}
    store = History.open(path)
    try:
        if number is not None:
            found = store.conversation(number)
            for exchange in found["exchanges"] if found and rendered else []:
                exchange["html"] = render.markdown_html(exchange["answer"] or "")
            return found
        rows = store.summaries(limit=200)
        return {
            "conversations": [
                {
                    "id": row.id,
                    "created": row.created,
                    "updated": row.updated,
                    "exchanges": row.exchanges,
                    "first_prompt": row.first_prompt,
                    "model": row.model,
                    "status": row.status,
                }
                for row in rows
            ]
        }
    finally:
        store.close()


async def approve(request: Request) -> Response:
    state: ServerState = request.app.state.serve
    try:
        asked = await api.read_json(request)
    except ValueError as exc:
        return api.bad_body(exc)
    if not isinstance(asked, dict) or not isinstance(asked.get("approve"), bool):
        return api.problem(400, 'the body: {"id": "…", "approve": true or false}')
    session = request.scope.get("state", {}).get("session")
    if not state.approvals.answer(str(asked.get("id")), session, asked["approve"]):
        return api.problem(404, "no such question waits for this page")
    return Response(status_code=204)


def build_app(state: ServerState, guard_options: dict[str, Any]) -> Any:
    """The ASGI app: the routes behind the guard, behind the access log."""
    routes = [
        Route("/", page),
        Route("/static/highlight.css", highlight_css),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
        Route("/v1/models", v1.models),
        Route("/v1/chat/completions", v1.completions, methods=["POST"]),
        Route("/api/chat", api.chat, methods=["POST"]),
        Route("/api/tail", api.tail),
        Route("/api/replay", api.replay, methods=["GET", "POST"]),
        Route("/api/info", info),
        Route("/api/history", history),
        Route("/api/history/{number:int}", history),
        Route("/api/approve", approve, methods=["POST"]),
    ]
    errors = {status: _http_error for status in (404, 405)}
    app = Starlette(routes=routes, exception_handlers=errors)
    app.state.serve = state
    guard = Guard(app, **guard_options)
    app.state.guard = guard
    return AccessLog(guard, state.stderr), guard


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404 and 405 in the shape every endpoint answers."""
    assert isinstance(exc, HTTPException)
    headers = exc.headers or {}
    response = api.problem(exc.status_code, exc.detail)
    response.headers.update(headers)  # 405's Allow
    return response


class AccessLog:
    """One line per request on stderr, when it ends: who, what, the status, how long (the
    path only: a query may hold the page's token)."""

    def __init__(self, app: Any, stderr: TextIO) -> None:
        self.app = app
        self.stderr = stderr

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        status: list[int] = []

        async def noting(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, noting)
        finally:
            client = (scope.get("client") or ("-",))[0]
            took = time.monotonic() - started
            said = status[0] if status else "-"
            line = f'{client} "{scope["method"]} {scope["path"]}" {said} {took:.3f} s'
            self.stderr.write(f"streamcli serve: {sanitize(line)}\n")
            self.stderr.flush()
