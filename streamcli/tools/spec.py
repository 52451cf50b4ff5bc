"""What a tool is: a name, a description and a JSON Schema for the model, and a way to run.

A built-in tool runs in-process (`function`) and never asks: it only reads. A user tool
(from tools.toml) runs a `command` (an argv list) and asks before every call. An MCP tool
is the `remote` tool of the MCP `server`; it asks unless the server's entry trusts it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # what every API accepts as a function name
NO_PARAMETERS: dict[str, Any] = {"type": "object", "properties": {}}


class ToolFailure(Exception):
    """A tool call that failed; the message is what the model is told."""


@dataclass(frozen=True)
class Tool:
    """A tool the model may call: its name, description, parameters and what runs it."""

    name: str
    description: str
    parameters: dict[str, Any] = field(default_factory=lambda: dict(NO_PARAMETERS))
    function: Callable[[dict[str, Any]], str] | None = field(default=None, compare=False)
    command: tuple[str, ...] | None = None
    origin: str = "built-in"  # or the tools file it came from
    server: str | None = None  # the MCP server that runs it
    remote: str = ""  # the MCP server's own name for it
    trusted: bool = False  # an MCP tool the server's entry trusts

    @property
    def asks(self) -> bool:
        """Whether a call needs the user's approval (every user tool's does, and an MCP
        tool's unless its server is trusted with it)."""
        return self.command is not None or (self.server is not None and not self.trusted)

    def offer(self) -> dict[str, Any]:
        """How the tool is described to the model (each provider wraps it its own way)."""
        return {"name": self.name, "description": self.description, "parameters": self.parameters}
