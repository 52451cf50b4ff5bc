"""What `streamcli serve`'s command line says besides the chat's own flags, each spelled
once (the fields carry their options, see `cli.py`). Imported at start-up."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from streamcli.options import MAX_SECONDS, Option

DEFAULT_PORT = 8484
PING_INTERVAL = 15.0  # seconds between `: ping` comments on an idle stream


@dataclass
class ServeFlags:
    """Where to listen, who may ask, and the logs and recordings offered."""

    host: Annotated[
        str,
        Option(
            "--host",
            metavar="ADDRESS",
            help="The address to listen on; other than loopback needs a key "
            "(STREAMCLI_SERVE_KEY or --api-key-file).",
        ),
    ] = "127.0.0.1"
    port: Annotated[
        int,
        Option("--port", min=0, max=65535, metavar="N", help="The port (0: any free one)."),
    ] = DEFAULT_PORT
    api_key_file: Annotated[
        Path | None,
        Option(
            "--api-key-file",
            metavar="FILE",
            dir_okay=False,
            help="The key clients must send (Authorization: Bearer KEY), read from FILE "
            "(readable by you alone); default: STREAMCLI_SERVE_KEY.",
        ),
    ] = None
    cors_origins: Annotated[
        list[str],
        Option(
            "--cors-origin",
            metavar="ORIGIN",
            help="Let pages of ORIGIN (e.g. http://localhost:3000) call the API "
            "(repeatable; default: none).",
            show_default=False,
        ),
    ] = field(default_factory=list)
    tails: Annotated[
        list[Path],
        Option(
            "--tail",
            metavar="FILE",
            dir_okay=False,
            help="Offer FILE's lines, followed as tail -F does (repeatable).",
            show_default=False,
        ),
    ] = field(default_factory=list)
    recordings: Annotated[
        list[Path],
        Option(
            "--replay",
            metavar="FILE",
            exists=True,  # a recording is read when asked for: a missing one is a typo
            dir_okay=False,
            help="Offer the recording FILE to replay (repeatable).",
            show_default=False,
        ),
    ] = field(default_factory=list)
    ping: Annotated[
        float,
        Option(
            "--ping",
            min=0.05,
            max=MAX_SECONDS,
            metavar="SECONDS",
            help="Send a keep-alive comment on a stream idle for SECONDS.",
        ),
    ] = PING_INTERVAL
