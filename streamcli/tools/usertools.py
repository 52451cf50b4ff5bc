"""User tools from a TOML file: ``--tools FILE``, else ``$XDG_CONFIG_HOME/streamcli/tools.toml``.

Each top-level table is one tool::

    [get_time]
    description = "Current time in a time zone"
    command = ["sh", "-c", "date -u +%H:%M"]   # an argv list, run without a shell of ours
    parameters = { type = "object", properties = { tz = { type = "string" } }, required = ["tz"] }

The file is checked as it is read, like the config file: a wrong type or an unknown key
is an error that names the file and the tool (exit status 2).
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streamcli.config import read_toml
from streamcli.errors import BadInput
from streamcli.paths import config_dir
from streamcli.tools.builtin import BUILTIN
from streamcli.tools.process import Outcome, run_command
from streamcli.tools.spec import NAME, NO_PARAMETERS, CallLimits, Runner, Tool


@dataclass
class Command(Runner):
    """A user tool: a command (an argv list) that gets the arguments as JSON on stdin and
    answers on stdout; every call asks first."""

    argv: tuple[str, ...]
    asks = True

    def run(self, arguments: dict[str, Any], limits: CallLimits) -> Outcome:
        return run_command(
            self.argv,
            arguments,
            timeout=limits.timeout,
            environ=limits.environ,
            stop=limits.stop,
            limit=limits.limit,
            children=limits.children,
        )

    def described(self) -> str:
        return f"command:   {shlex.join(self.argv)}"


KEYS = ("description", "command", "parameters")


def default_tools_path(environ: Mapping[str, str]) -> Path:
    return config_dir(environ) / "tools.toml"


def load_user_tools(path: Path) -> dict[str, Tool]:
    """The tools defined in `path` (raises `FileNotFoundError` when there is no file)."""
    tables = read_toml(path, "tools file")
    return {name: _tool(path, name, table) for name, table in tables.items()}


def _tool(path: Path, name: str, table: Any) -> Tool:
    where = f"{path}: [{name}]"
    if not isinstance(table, dict):
        raise BadInput(f"{path}: {name} must be a table ([{name}]) describing a tool")
    if not NAME.match(name):
        raise BadInput(f"{where}: a name may hold only letters, digits, _ and - (64 at most)")
    if name in BUILTIN:
        raise BadInput(f"{where}: {name} is a built-in tool; give yours another name")
    unknown = [key for key in table if key not in KEYS]
    if unknown:
        raise BadInput(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(KEYS)})")
    command = table.get("command")
    if (
        not isinstance(command, list)
        or not command
        or not all(isinstance(part, str) and part for part in command)
    ):
        raise BadInput(
            f'{where}: command must be a list of strings, e.g. command = ["my-tool", "--json"]'
        )
    description = table.get("description", "")
    if not isinstance(description, str):
        raise BadInput(f"{where}: description must be a string")
    parameters = table.get("parameters", NO_PARAMETERS)
    if not isinstance(parameters, dict):
        raise BadInput(f"{where}: parameters must be a table (a JSON Schema of an object)")
    if parameters.get("type", "object") != "object":
        raise BadInput(f'{where}: parameters must describe an object (type = "object")')
    return Tool(
        name,
        description or f"Runs {command[0]}",
        {"type": "object", **parameters},
        Command(tuple(command)),
        origin=str(path),
    )
