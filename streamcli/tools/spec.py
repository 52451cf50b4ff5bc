"""What a tool is: a name, a description and a JSON Schema for the model, and what runs it.

How a call runs is the tool's `Runner`, one kind per tool source: a built-in tool runs in
this process and never asks (`builtin.InProcess`: it only reads); a user tool from
tools.toml runs a command and asks before every call (`usertools.Command`); an MCP tool is
a tool of an MCP server and asks unless the server's entry trusts it (`mcp.offer.McpCall`).
A new kind of tool is a new `Runner`, and nothing else changes.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from streamcli.tools.process import Children, Outcome

NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # what every API accepts as a function name
NO_PARAMETERS: dict[str, Any] = {"type": "object", "properties": {}}


class ToolFailure(Exception):
    """A tool call that failed; the message is what the model is told."""


@dataclass
class CallLimits:
    """What one call runs under: its time, its environment, the size of its output, the
    chat's stop, and where its processes and progress go."""

    timeout: float
    environ: Mapping[str, str]
    limit: int
    stop: threading.Event
    children: Children
    progress: Callable[[str], None] | None = None


class Runner:
    """How a tool's calls run. `asks`: whether a call needs the user's approval;
    `server`: the MCP server it belongs to (named in its events), if any."""

    asks = False
    server: str | None = None

    def run(self, arguments: dict[str, Any], limits: CallLimits) -> Outcome:
        """Run one call to its end (or its timeout, or the stop)."""
        raise NotImplementedError

    def described(self) -> str:
        """What runs, for the approval question (untrusted parts not yet sanitized)."""
        raise NotImplementedError


@dataclass(frozen=True)
class Tool:
    """A tool the model may call: its name, description, parameters and what runs it."""

    name: str
    description: str
    parameters: dict[str, Any] = field(default_factory=lambda: dict(NO_PARAMETERS))
    runner: Runner = field(default_factory=Runner, compare=False)
    origin: str = "built-in"  # or the tools file, or the MCP server, it came from

    @property
    def asks(self) -> bool:
        """Whether a call needs the user's approval."""
        return self.runner.asks

    @property
    def server(self) -> str | None:
        """The MCP server the tool belongs to, if any."""
        return self.runner.server

    def offer(self) -> dict[str, Any]:
        """How the tool is described to the model (each provider wraps it its own way)."""
        return {"name": self.name, "description": self.description, "parameters": self.parameters}
