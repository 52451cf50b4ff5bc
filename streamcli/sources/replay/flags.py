"""What `streamcli replay`'s command line says, each flag spelled once, and the formats it
reads. The fields carry their Typer options (see `cli.py`); imported at start-up."""

from dataclasses import dataclass
from typing import Annotated, Literal

from streamcli.options import MAX_SECONDS, Option

Format = Literal["auto", "events", "asciicast", "text"]


MAX_SPEED = 1_000_000  # --speed's largest multiplier


@dataclass
class ReplayOptions:
    """How to play a recording back."""

    speed: Annotated[
        float,
        Option(min=0, max=MAX_SPEED, help="Playback speed multiplier; 0 plays without delays."),
    ] = 1.0
    idle_limit: Annotated[
        float | None,
        Option(
            "--idle-limit",
            min=0,
            max=MAX_SECONDS,
            metavar="SECONDS",
            help="Cap every pause at SECONDS.",
        ),
    ] = None
    lenient: Annotated[bool, Option("--lenient", help="Skip malformed lines with a notice.")] = (
        False
    )
    format: Annotated[Format, Option("--format", help="The input format (auto: recognise it).")] = (
        "auto"
    )
    chunk_size: Annotated[
        int,
        Option(
            "--chunk-size",
            min=1,
            max=1 << 20,
            metavar="N",
            help="Plain text: N characters per chunk.",
        ),
    ] = 3
    delay_ms: Annotated[
        float,
        Option(
            "--delay",
            min=0,
            max=MAX_SECONDS * 1000,
            metavar="MS",
            help="Plain text: MS between chunks.",
        ),
    ] = 20.0
