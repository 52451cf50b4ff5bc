"""What `streamcli mcp`'s command line says (the fields carry their Typer options, see
`cli.py`). Imported at start-up of that command only: nothing here imports the SDK."""

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from streamcli.options import Argument, Option


@dataclass
class McpRequest:
    """What to do with the configured MCP servers."""

    action: Annotated[
        Literal["list"],
        Argument(
            metavar="list",
            help="list: start each configured server and show its tools, or why it did not start.",
            show_default=False,
        ),
    ] = "list"
    config: Annotated[
        Path | None,
        Option(
            "--mcp-config",
            metavar="FILE",
            dir_okay=False,
            help="The MCP servers file (default: $XDG_CONFIG_HOME/streamcli/mcp.json).",
        ),
    ] = None
    json: Annotated[
        bool,
        Option("--json", help="One JSON object per server, one a line."),
    ] = False
