"""The chosen MCP servers, connected through the official SDK on an event loop of their own.

The SDK is async (anyio); the pipeline is threads. The hub runs one event loop in a daemon
thread and reaches it through an anyio `BlockingPortal`: each server lives in one task
there (its transport and session entered, then waiting to be told to close, so the
contexts are left in the task that entered them), and each tool call is a task started
from the tool's own thread, which waits for it without blocking the pump. A call that
runs past its timeout, or a chat that stops, cancels its task: the SDK then sends the
protocol's ``notifications/cancelled``.

Servers start side by side; `start` returns when all are up (or have failed). `close`
asks each to end — a stdio server's stdin is closed, then after a grace its whole process
group gets SIGTERM, then SIGKILL (stdio.py, as the SDK does) — and waits for that, bounded.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import anyio.from_thread

from mcp import ClientSession
from streamcli.errors import StreamcliError
from streamcli.paths import open_private
from streamcli.signals import stop_signals_exit
from streamcli.tools.mcp.command import CommandNotFound, NoSuchCwd, locate
from streamcli.tools.mcp.config import ServerEntry
from streamcli.tools.mcp.environment import server_environment
from streamcli.tools.mcp.results import progress_text, result_outcome
from streamcli.tools.mcp.serverlog import LogRefused, ServerLog
from streamcli.tools.mcp.stdio import StdioServer, stdio_transport
from streamcli.tools.process import Outcome, reaped

POLL = 0.05
CLOSE_WAIT = 10.0  # seconds close() waits for the servers to end (the SDK's own bound is ~6 s)
LAST_LINE_LIMIT = 300


class McpStartError(StreamcliError):
    """A server that was asked for could not start (exit status 1)."""

    kind = "mcp_server"


@dataclass(frozen=True)
class RemoteTool:
    """A tool as a server lists it."""

    name: str
    description: str
    parameters: dict[str, Any]


@dataclass
class _Server:
    entry: ServerEntry
    log: ServerLog | None = None
    stdio: StdioServer | None = None  # its process and output, when it runs over stdio
    session: ClientSession | None = None
    tools: list[RemoteTool] = field(default_factory=list)
    failure: str | None = None  # why it did not start
    closing: anyio.Event | None = None
    scope: anyio.CancelScope | None = None  # its start-up, cancelled by close() if still on
    started: concurrent.futures.Future[None] = field(default_factory=concurrent.futures.Future)
    done: concurrent.futures.Future[None] | None = None


class McpHub:
    """Connections to MCP servers, on an event loop thread beside the pipeline's threads."""

    def __init__(
        self,
        entries: list[ServerEntry],
        environ: Mapping[str, str],
        log_dir: Path,
        mask: Callable[[str], str] = str,
    ) -> None:
        """`mask`: what the servers write on stderr passes through it to their logs."""
        self._environ = environ
        self._mask = mask
        self._log_dir = log_dir
        self.servers = {entry.name: _Server(entry) for entry in entries}
        self._portal: anyio.from_thread.BlockingPortal | None = None
        self._thread: threading.Thread | None = None
        self._closed = False
        self._lock = threading.Lock()
        self._calls: set[concurrent.futures.Future[Any]] = set()  # running now

    # -- starting ---------------------------------------------------------------

    def start(self, strict: bool = True) -> None:
        """Start every server side by side and wait until each is up or has failed.
        `strict`: the first failure (in the order given) closes the hub and raises
        `McpStartError`; otherwise each failure is kept in its server's `failure`."""
        ready: concurrent.futures.Future[anyio.from_thread.BlockingPortal] = (
            concurrent.futures.Future()
        )
        self._thread = threading.Thread(
            target=anyio.run, args=(self._serve, ready), name="streamcli-mcp", daemon=True
        )
        self._thread.start()
        _sdk_log_to(self._log_dir / "client.log", self._mask)
        self._portal = ready.result()
        for server in self.servers.values():
            server.done = self._portal.start_task_soon(self._run_server, server)
        try:
            with stop_signals_exit():
                concurrent.futures.wait([server.started for server in self.servers.values()])
        except BaseException:  # Ctrl-C or SIGTERM while starting
            self.close()
            raise
        if strict:
            for server in self.servers.values():
                if server.failure is not None:
                    self.close()
                    raise McpStartError(server.failure)

    async def _serve(self, ready: concurrent.futures.Future[Any]) -> None:
        async with anyio.from_thread.BlockingPortal() as portal:
            ready.set_result(portal)
            await portal.sleep_until_stopped()

    async def _run_server(self, server: _Server) -> None:
        """Connect, list the tools, then hold the connection until told to close."""
        from contextlib import AsyncExitStack

        entry = server.entry
        server.closing = anyio.Event()
        up = False
        with anyio.CancelScope() as scope:
            server.scope = scope
            scope.deadline = anyio.current_time() + entry.start_timeout
            try:
                async with AsyncExitStack() as stack:
                    read, write = await stack.enter_async_context(self._transport(server))
                    session = await stack.enter_async_context(ClientSession(read, write))
                    await session.initialize()
                    server.tools = await _list_tools(session)
                    server.session = session
                    scope.deadline = math.inf
                    up = True
                    server.started.set_result(None)
                    await server.closing.wait()
                    server.session = None
            except Exception as exc:
                if not up:
                    server.failure = self._start_failure(server, _leaf(exc))
        if scope.cancelled_caught and not up:
            server.failure = (
                f"MCP server {entry.name} was stopped while it started"
                if self._closed
                else f"MCP server {entry.name} did not start within {entry.start_timeout:g} s "
                "(startupTimeout in the MCP servers file)"
            )
        if not up:
            server.started.set_result(None)
        if server.log is not None:
            server.log.close()

    def _transport(self, server: _Server) -> contextlib.AbstractAsyncContextManager[Any]:
        entry = server.entry
        if entry.transport == "stdio":
            environment = server_environment(entry, self._environ)
            program = locate(entry.command, environment, entry.cwd)
            server.log = ServerLog(self._log_dir, _file_name(entry.name), self._mask)
            server.log.begin(entry.name)
            argv = reaped([program, *entry.args])  # what the server starts ends with it
            server.stdio = StdioServer(argv, environment, entry.cwd, server.log.errlog)
            return stdio_transport(server.stdio)
        if entry.transport == "sse":
            from mcp.client.sse import sse_client

            return sse_client(entry.url, headers=entry.headers)
        from streamcli.tools.mcp.remote import streamable_http

        return streamable_http(entry.url, entry.headers)

    def _start_failure(self, server: _Server, exc: BaseException) -> str:
        entry = server.entry
        name = f"MCP server {entry.name}"
        if isinstance(exc, LogRefused):
            return f"{name}: {exc}"
        if isinstance(exc, NoSuchCwd) and entry.transport == "stdio":
            return f"{name}: cwd does not exist: {entry.cwd}"
        if isinstance(exc, CommandNotFound) and entry.transport == "stdio":
            return f"{name}: command not found: {entry.command} ({exc.looked})"
        if isinstance(exc, FileNotFoundError) and entry.transport == "stdio":
            return f"{name}: command not found: {entry.command}"
        if isinstance(exc, PermissionError) and entry.transport == "stdio":
            return f"{name}: cannot run {entry.command}: permission denied"
        if entry.transport == "stdio":
            last = self.last_line(server.entry.name)
            said = f": {last}" if last else f" ({_describe(exc)})"
            return f"{name} ({entry.where}) exited during start-up{said}"
        return f"{name} at {entry.url} did not answer: {_describe(exc)}"

    # -- calls ------------------------------------------------------------------

    def call(
        self,
        server_name: str,
        tool: str,
        arguments: dict[str, Any],
        *,
        timeout: float,
        stop: threading.Event,
        progress: Callable[[str], None] | None = None,
    ) -> Outcome:
        """Call `tool` of `server_name` and wait for its result, its timeout or `stop`."""
        server = self.servers[server_name]
        session, portal = server.session, self._portal
        if session is None or portal is None or self._closed:
            return Outcome(False, f"the MCP server {server_name} is not running")

        async def on_progress(done: float, total: float | None, message: str | None) -> None:
            if progress is not None:
                progress(progress_text(done, total, message))

        async def run() -> Any:
            listener: Any = on_progress  # the SDK's ProgressFnT protocol
            return await session.call_tool(tool, arguments, progress_callback=listener)

        with self._lock:
            if self._closed:
                return Outcome(False, f"the MCP server {server_name} is not running")
            future = portal.start_task_soon(run)
            self._calls.add(future)
        try:
            return self._wait(server, future, timeout, stop)
        finally:
            with self._lock:
                self._calls.discard(future)

    def _wait(
        self,
        server: _Server,
        future: concurrent.futures.Future[Any],
        timeout: float,
        stop: threading.Event,
    ) -> Outcome:
        deadline = time.monotonic() + timeout
        while True:
            try:
                result = future.result(timeout=POLL)
                break
            except concurrent.futures.TimeoutError:
                if stop.is_set():
                    future.cancel()
                    return Outcome(False, "stopped")
                if time.monotonic() > deadline:
                    future.cancel()  # the SDK tells the server: notifications/cancelled
                    return Outcome(False, f"timed out after {timeout:g} s (--tool-timeout)")
            except concurrent.futures.CancelledError:
                return Outcome(False, "stopped")
            except Exception as exc:
                return Outcome(False, self._call_failure(server, _leaf(exc)))
        return result_outcome(result)

    def _call_failure(self, server: _Server, exc: BaseException) -> str:
        from mcp.shared.exceptions import MCPError

        name = server.entry.name
        refused = _refused(server)
        if refused:
            return f"the MCP server {name} was stopped: {refused}"
        if isinstance(exc, MCPError) and exc.code != -32000:  # the server answered an error
            return f"error from the MCP server {name}: {exc.message}"
        last = self.last_line(name)
        detail = f": {last}" if last else f" ({_describe(exc)})"
        return f"the MCP server {name} failed during the call{detail}"

    def last_line(self, name: str) -> str:
        """The last line the server wrote on stderr since it started ("" if none)."""
        server = self.servers[name]
        if server.log is None:
            return ""
        try:
            with open(server.log.path, "rb") as file:
                size = file.seek(0, 2)
                file.seek(max(server.log.start, size - 8192))
                lines = file.read().decode("utf-8", "replace").strip().splitlines()
        except OSError:
            return ""
        last = lines[-1].strip() if lines else ""
        return last if len(last) <= LAST_LINE_LIMIT else last[: LAST_LINE_LIMIT - 1] + "…"

    # -- closing ----------------------------------------------------------------

    def close(self) -> None:
        """End every server (politely, then its process group) and the event loop."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            running = list(self._calls)
        for future in running:  # the SDK sends notifications/cancelled for each
            future.cancel()
        portal = self._portal
        if portal is None:
            return
        for server in self.servers.values():
            with contextlib.suppress(Exception):
                if server.closing is not None:
                    portal.call(server.closing.set)
                if server.scope is not None and not server.started.done():
                    portal.call(server.scope.cancel)  # still starting: stop waiting for it
        done = [s.done for s in self.servers.values() if s.done is not None]
        concurrent.futures.wait(done, timeout=CLOSE_WAIT)
        with contextlib.suppress(Exception):
            portal.call(portal.stop, True)
        if self._thread is not None:
            self._thread.join(timeout=CLOSE_WAIT)


async def _list_tools(session: ClientSession) -> list[RemoteTool]:
    """All the server's tools, page after page."""
    from mcp_types import PaginatedRequestParams

    tools: list[RemoteTool] = []
    cursor: str | None = None
    for _ in range(100):  # a server that pages forever is cut short
        params = PaginatedRequestParams(cursor=cursor) if cursor else None
        listed = await session.list_tools(params=params)
        for tool in listed.tools:
            schema = tool.input_schema if isinstance(tool.input_schema, dict) else {}
            parameters = {**schema, "type": "object"}
            tools.append(RemoteTool(tool.name, tool.description or "", parameters))
        cursor = listed.next_cursor
        if not cursor:
            break
    return tools


def _sdk_log_to(path: Path, mask: Callable[[str], str]) -> None:
    """The SDK's own log records (a server's line that is not JSON-RPC, say, with its
    traceback) go to `path`, never to the terminal, with every known key masked (`mask`:
    what a server printed is quoted in them)."""
    logger = logging.getLogger("mcp")
    logger.propagate = False
    formatter = _Masked(mask)
    for handler in list(logger.handlers):
        if isinstance(handler, logging.FileHandler):
            if handler.baseFilename == str(path.absolute()):
                handler.setFormatter(formatter)
                return
            logger.removeHandler(handler)
            handler.close()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:  # private, and never through a symlink (then the records are dropped)
        os.close(open_private(path))
    except OSError:
        return
    handler = logging.FileHandler(path, encoding="utf-8", delay=True)
    handler.setFormatter(formatter)
    logger.addHandler(handler)


class _Masked(logging.Formatter):
    """A log record's line, its traceback included, with `mask` applied."""

    def __init__(self, mask: Callable[[str], str]) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self._mask = mask

    def format(self, record: logging.LogRecord) -> str:
        return self._mask(super().format(record))


def _refused(server: _Server) -> str | None:
    """Why streamcli ended the server's connection, if it did."""
    return server.stdio.refused if server.stdio is not None else None


def _leaf(exc: BaseException) -> BaseException:
    """The first exception inside (nested) exception groups."""
    while getattr(exc, "exceptions", None):
        exc = exc.exceptions[0]  # type: ignore[attr-defined]
    return exc


def _describe(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return " ".join(text.split())[:LAST_LINE_LIMIT]


def _file_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name).lstrip(".") or "_"
