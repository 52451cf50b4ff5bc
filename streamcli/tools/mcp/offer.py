"""From ``--mcp NAME`` to tools: read the file, start the servers, name their tools."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from streamcli.errors import StreamcliError
from streamcli.paths import state_dir
from streamcli.tools.mcp.config import load_mcp_config
from streamcli.tools.mcp.naming import exposed_name
from streamcli.tools.output import cap
from streamcli.tools.process import Outcome
from streamcli.tools.spec import CallLimits, Runner, Tool

if TYPE_CHECKING:
    from streamcli.tools.mcp.hub import McpHub

MISSING_SDK = "MCP servers need the mcp extra, which is not installed: pip install 'streamcli[mcp]'"


def log_dir(environ: Mapping[str, str]) -> Path:
    """Where the servers' stderr goes: ``$XDG_STATE_HOME/streamcli/mcp/NAME.log``."""
    return state_dir(environ) / "mcp"


def import_hub() -> type[McpHub]:
    """The hub class (which imports the SDK), or a clear error when the extra is missing."""
    try:
        from streamcli.tools.mcp.hub import McpHub
    except ImportError as exc:
        if (exc.name or "").split(".")[0] not in ("mcp", "mcp_types", "anyio", "httpx2"):
            raise
        raise StreamcliError(MISSING_SDK, kind="mcp_missing") from None
    return McpHub


@dataclass
class McpCall(Runner):
    """A tool of a running MCP server: called through the hub, its result capped; it asks
    unless the server's entry trusts it."""

    hub: McpHub = field(repr=False)
    remote: str  # the server's own name for the tool
    server: str | None = None  # the server's name in the MCP file
    trusted: bool = False

    @property
    def asks(self) -> bool:  # type: ignore[override]
        return not self.trusted

    def run(self, arguments: dict[str, Any], limits: CallLimits) -> Outcome:
        assert self.server is not None
        outcome = self.hub.call(
            self.server,
            self.remote,
            arguments,
            timeout=limits.timeout,
            stop=limits.stop,
            progress=limits.progress,
        )
        return Outcome(outcome.ok, cap(outcome.output, limits.limit))

    def described(self) -> str:
        return f"server:    {self.server} (MCP), its tool {self.remote}"


@dataclass
class Servers:
    """The MCP servers a chat started (`hub`, None when none was chosen), their tools by
    the names the model sees, and what the MCP file's reading had to say."""

    hub: McpHub | None = None
    tools: dict[str, Tool] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)


def start_servers(
    names: list[str],
    file: Path | None,
    environ: Mapping[str, str],
    taken: set[str],
    mask: Callable[[str], str] = str,
) -> Servers:
    """Start the servers `names` (or the file's defaults) and name their tools apart from
    the names already `taken`; their stderr goes through `mask` to their logs."""
    config = load_mcp_config(file, environ)
    entries = config.chosen(names)
    if not entries:
        return Servers(notices=list(config.notices))
    hub = import_hub()(entries, environ, log_dir(environ), mask)
    hub.start()
    started = Servers(hub, notices=list(config.notices))
    taken = set(taken)
    for entry in entries:
        for remote in hub.servers[entry.name].tools:
            name = exposed_name(entry.name, remote.name, taken)
            taken.add(name)
            started.tools[name] = Tool(
                name,
                remote.description or f"{remote.name} (MCP server {entry.name})",
                remote.parameters,
                McpCall(hub, remote.name, server=entry.name, trusted=entry.trusts(remote.name)),
                origin=f"the MCP server {entry.name}",
            )
    return started
