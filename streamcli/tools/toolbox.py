"""The tools offered to the model in one chat, and the limits they run under.

Only tools named with ``--tool``, and those of the MCP servers named with ``--mcp`` (or
the MCP file's defaults), are offered (and known: a call to any other name is refused,
never looked up). The servers are started when the toolbox is loaded and stay up until
`close`, which a chat calls once at its end (an interactive one after its last turn).

A call is checked before anything runs: its arguments must
be a JSON object that fits the tool's schema; otherwise the model is told what is wrong.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from streamcli import events
from streamcli.errors import BadInput
from streamcli.events import Event
from streamcli.tools import schema
from streamcli.tools.approval import Allow, Approver, Deny
from streamcli.tools.builtin import BUILTIN
from streamcli.tools.mcp.config import wants_servers
from streamcli.tools.output import DEFAULT_LIMIT
from streamcli.tools.process import Children, Outcome
from streamcli.tools.spec import CallLimits, Tool
from streamcli.tools.usertools import default_tools_path, load_user_tools

if TYPE_CHECKING:
    from streamcli.tools.mcp.hub import McpHub

DEFAULT_TIMEOUT = 60.0
DEFAULT_ROUNDS = 5


@dataclass
class Toolbox:
    """The tools of one chat and the limits they run under."""

    tools: dict[str, Tool]
    approver: Approver = field(default_factory=Deny)  # who allows the calls that ask
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
        mask: Callable[[str], str] = str,
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

            started = start_servers(list(servers), servers_file, environ, set(tools), mask)
            toolbox.mcp = started.hub
            toolbox.tools.update(started.tools)
            toolbox.notices.extend(started.notices)
        return toolbox

    def answering(self, approver: Approver | None) -> Toolbox:
        """This toolbox for one answer: the same tools and servers, with processes of the
        answer's own (killed when it stops), approved by `approver` — unless this toolbox
        allows every call (`--approve`), whoever would ask."""
        if approver is None or isinstance(self.approver, Allow):
            approver = self.approver
        return dataclasses.replace(self, approver=approver, children=Children())

    def take_notices(self, t: float) -> list[Event]:
        """The notices to say at the chat's start, as events; once per toolbox (its
        answers share the list)."""
        said = [events.notice(t, message) for message in self.notices]
        self.notices.clear()
        return said

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
        """Run one call to its end (or its timeout, or `stop`), under this toolbox's
        limits; an MCP server's progress notifications are handed to `progress`."""
        limits = CallLimits(self.timeout, self.environ, self.limit, stop, self.children, progress)
        return tool.runner.run(arguments, limits)
