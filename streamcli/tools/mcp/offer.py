"""From ``--mcp NAME`` to tools in the toolbox: read the file, start the servers, name the tools."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from streamcli.errors import StreamcliError
from streamcli.paths import state_dir
from streamcli.tools.mcp.config import load_mcp_config
from streamcli.tools.mcp.naming import exposed_name
from streamcli.tools.spec import Tool

if TYPE_CHECKING:
    from streamcli.tools.mcp.hub import McpHub
    from streamcli.tools.toolbox import Toolbox

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


def start_servers(
    names: list[str], file: Path | None, environ: Mapping[str, str], toolbox: Toolbox
) -> McpHub | None:
    """Start the servers `names` (or the file's defaults) and add their tools to
    `toolbox`; the file's notices go to `toolbox.notices`. None when no server is chosen."""
    config = load_mcp_config(file, environ)
    toolbox.notices.extend(config.notices)
    entries = config.chosen(names)
    if not entries:
        return None
    hub = import_hub()(entries, environ, log_dir(environ))
    hub.start()
    taken = set(toolbox.tools)
    for entry in entries:
        for remote in hub.servers[entry.name].tools:
            name = exposed_name(entry.name, remote.name, taken)
            taken.add(name)
            toolbox.tools[name] = Tool(
                name,
                remote.description or f"{remote.name} (MCP server {entry.name})",
                remote.parameters,
                origin=f"the MCP server {entry.name}",
                server=entry.name,
                remote=remote.name,
                trusted=entry.trusts(remote.name),
            )
    return hub
