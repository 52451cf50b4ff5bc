"""What `streamcli tail`'s command line says, each flag spelled once (the fields carry
their Typer options, see `cli.py`), and how lines name their file. Imported at start-up."""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Literal

from streamcli.options import MAX_PID, MAX_SECONDS, Argument, BadValue, Option

if TYPE_CHECKING:
    from streamcli.sources.tail.position import StartAt

POLL_INTERVAL = 0.25  # seconds between looks with --poll


def _check_lines(text: str) -> str:
    """`-n`'s value, once it is known to parse (a usage error if not)."""
    from streamcli.errors import BadInput
    from streamcli.sources.tail.position import StartAt

    try:
        StartAt.parse(text)
    except BadInput as exc:
        raise BadValue(exc.message) from None
    return text


@dataclass
class TailOptions:
    """Which files to follow, from where, which lines, and how they are labelled."""

    files: Annotated[
        list[str],
        Argument(
            metavar="FILE",
            show_default=False,
            help="Files to follow by name; - (the default) for stdin.",
        ),
    ] = field(default_factory=lambda: ["-"])
    lines: Annotated[
        str,
        Option(
            "--lines",
            "-n",
            metavar="N",
            callback=_check_lines,
            help="Start with the last N lines; +N: from line N.",
        ),
    ] = "10"
    no_follow: Annotated[
        bool, Option("--no-follow", help="Print the lines and exit instead of following.")
    ] = False
    follow_by_name: Annotated[
        bool,
        Option("--follow", "-f", "-F", help="Follow by name through rotation (the default)."),
    ] = True
    grep: Annotated[
        list[str],
        Option(
            "--grep", "-g", metavar="REGEX", help="Only lines matching REGEX (repeatable: any)."
        ),
    ] = field(default_factory=list)
    invert: Annotated[bool, Option("--invert", help="Only lines matching no --grep pattern.")] = (
        False
    )
    ignore_case: Annotated[bool, Option("--ignore-case", "-i", help="--grep ignores case.")] = False
    pid: Annotated[
        int | None,
        Option("--pid", min=1, max=MAX_PID, metavar="PID", help="Stop when process PID has ended."),
    ] = None
    poll: Annotated[
        bool, Option("--poll", help="Poll for changes instead of kernel notifications.")
    ] = False
    poll_interval: Annotated[
        float,
        Option(
            "--poll-interval",
            min=0.001,
            max=MAX_SECONDS,
            metavar="SECONDS",
            help="How often --poll looks.",
        ),
    ] = POLL_INTERVAL
    prefix: Annotated[bool, Option("--prefix", help="Start every line with its file's name.")] = (
        False
    )
    quiet: Annotated[
        bool, Option("--quiet", "-q", help="No ==> file <== headers for several files.")
    ] = False

    @property
    def start_at(self) -> "StartAt":
        """Where reading starts (`-n`)."""
        from streamcli.sources.tail.position import StartAt

        return StartAt.parse(self.lines)

    @property
    def follow(self) -> bool:
        """Keep following at the end (not `--no-follow`; `--follow` is the default)."""
        return not self.no_follow

    @property
    def line_labels(self) -> Literal["none", "header", "prefix"]:
        """How lines name their file: a prefix (`--prefix`), a header when there are several
        files (unless `--quiet`), or not at all."""
        if self.prefix:
            return "prefix"
        return "header" if len(self.files) > 1 and not self.quiet else "none"
