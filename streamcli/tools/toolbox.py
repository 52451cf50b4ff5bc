"""The tools offered to the model in one chat, and the limits they run under.

Only tools named with ``--tool``, and those of the MCP servers named with ``--mcp`` (or
the MCP file's defaults), are offered (and known: a call to any other name is refused,
never looked up). The servers are started when the toolbox is loaded and stay up until
`close`, which a chat calls once at its end (an interactive one after its last turn).

A call is checked before anything runs: its arguments must
be a JSON object that fits the tool's schema; otherwise the model is told what is wrong.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from streamcli import events
from streamcli.errors import BadInput
from streamcli.events import Event
from streamcli.tools import schema
from streamcli.tools.builtin import BUILTIN
from streamcli.tools.mcp.config import wants_servers
from streamcli.tools.output import DEFAULT_LIMIT, cap
from streamcli.tools.process import Children, Outcome, run_command
from streamcli.tools.spec import Tool, ToolFailure
from streamcli.tools.usertools import default_tools_path, load_user_tools

if TYPE_CHECKING:
    from streamcli.tools.mcp.hub import McpHub

DEFAULT_TIMEOUT = 60.0
DEFAULT_ROUNDS = 5


@dataclass
class Toolbox:
    """The tools of one chat and the limits they run under."""

    tools: dict[str, Tool]
    approve: bool = False  # --approve: user tools run without asking
    timeout: float = DEFAULT_TIMEOUT
    max_rounds: int = DEFAULT_ROUNDS
    limit: int = DEFAULT_LIMIT
    environ: Mapping[str, str] = field(default_factory=dict)
    children: Children = field(default_factory=Children)
    mcp: McpHub | None = None  # the running MCP servers
    notices: list[str] = field(default_factory=list)  # said once at the chat's start

    @classmethod
    def load(
        cls,
        names: list[str],
        file: Path | None,
        environ: Mapping[str, str],
        *,
        servers: Sequence[str] = (),
        servers_file: Path | None = None,
        **limits: Any,
    ) -> Toolbox:
        """The tools called `names`: built-in ones, or defined in `file` (default:
        tools.toml in the config directory); and every tool of the MCP `servers` (or the
        MCP file's defaults when `servers_file` is given), started now. Raises `BadInput`
        for an unknown name, `McpStartError` for a server that cannot start."""
        path = file or default_tools_path(environ)
        user: dict[str, Tool] = {}
        missing = False
        if any(name not in BUILTIN for name in names) or file is not None:
            try:
                user = load_user_tools(path)
            except FileNotFoundError:
                if file is not None:
                    raise BadInput(f"--tools: no such file: {file}") from None
                missing = True
        tools: dict[str, Tool] = {}
        for name in names:
            tool = BUILTIN.get(name) or user.get(name)
            if tool is None:
                where = f"{path} (not found)" if missing else str(path)
                known = ", ".join([*BUILTIN, *user])
                raise BadInput(
                    f"--tool: unknown tool {name!r}; known: {known} "
                    f"(user tools are defined in {where})"
                )
            tools[name] = tool
        toolbox = cls(tools, environ=environ, **limits)
        if servers or servers_file is not None or wants_servers(None, environ):
            from streamcli.tools.mcp.offer import start_servers

            toolbox.mcp = start_servers(list(servers), servers_file, environ, toolbox)
        return toolbox

    def take_notices(self, t: float) -> list[Event]:
        """The notices to say at the chat's start, as events; once per toolbox."""
        notices, self.notices = self.notices, []
        return [events.notice(t, message) for message in notices]

    def close(self) -> None:
        """Shut the MCP servers down (politely, then their process groups); idempotent."""
        if self.mcp is not None:
            self.mcp.close()

    def offers(self) -> list[dict[str, Any]]:
        """The tools as described to the model."""
        return [tool.offer() for tool in self.tools.values()]

    def check(self, name: str, arguments: dict[str, Any], problem: str | None) -> Tool | str:
        """The tool to run for a call, or what to tell the model instead."""
        tool = self.tools.get(name)
        if tool is None:
            offered = ", ".join(self.tools) or "none"
            return f"error: there is no tool {name!r} (the tools offered are: {offered})"
        if problem:
            return f"error: the {problem}; nothing was run"
        wrong = schema.problem(arguments, tool.parameters)
        if wrong:
            return f"error: invalid arguments: {wrong}; nothing was run"
        return tool

    def run(
        self,
        tool: Tool,
        arguments: dict[str, Any],
        stop: threading.Event,
        progress: Callable[[str], None] | None = None,
    ) -> Outcome:
        """Run one call to its end (or its timeout, or `stop`); an MCP server's progress
        notifications are handed to `progress`."""
        if tool.server is not None:
            assert self.mcp is not None
            outcome = self.mcp.call(
                tool.server,
                tool.remote,
                arguments,
                timeout=self.timeout,
                stop=stop,
                progress=progress,
            )
            return Outcome(outcome.ok, cap(outcome.output, self.limit))
        if tool.command is not None:
            return run_command(
                tool.command,
                arguments,
                timeout=self.timeout,
                environ=self.environ,
                stop=stop,
                limit=self.limit,
                children=self.children,
            )
        assert tool.function is not None
        try:
            return Outcome(True, cap(tool.function(arguments), self.limit))
        except ToolFailure as exc:
            return Outcome(False, cap(str(exc), self.limit))
        except Exception as exc:  # a bug in a built-in tool must not end the chat
            return Outcome(False, f"internal error in {tool.name}: {type(exc).__name__}: {exc}")
