"""What `streamcli history`'s command line says, each flag spelled once (the fields carry
their Typer options, see `cli.py`). Imported at start-up."""

from dataclasses import dataclass
from typing import Annotated

from streamcli.options import MAX_ROW_ID, Argument, Option


@dataclass
class HistoryRequest:
    """Which conversations to list, show, export or delete."""

    conversation: Annotated[
        int | None,
        Argument(
            min=1,
            max=MAX_ROW_ID,
            metavar="ID",
            help="Show this conversation (default: list them).",
            show_default=False,
        ),
    ] = None
    limit: Annotated[
        int,
        Option(
            min=0,
            max=MAX_ROW_ID,
            metavar="N",
            help="List the N most recent conversations (0: all).",
        ),
    ] = 20
    delete: Annotated[bool, Option("--delete", help="Delete the conversation ID.")] = False
    json: Annotated[
        bool,
        Option("--json", help="Export as JSON lines: each conversation whole, one a line."),
    ] = False
