"""Sinks: where a stream ends up. `choose_sink` is the one place that picks one."""

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from streamcli.options import Option

if TYPE_CHECKING:  # not imported at start-up: the command line builds `OutputOptions`
    from streamcli.env import Environment
    from streamcli.stream import Sink, Source


# `--json`, for every command that writes events (bench too).
JsonFlag = Annotated[bool, Option("--json", help="Write JSON lines, one event per line.")]


@dataclass
class OutputOptions:
    """The output flags every streaming subcommand shares (each spelled here only)."""

    json: JsonFlag = False
    plain: Annotated[bool, Option("--plain", help="Plain text output, even on a terminal.")] = False
    raw: Annotated[
        bool,
        Option("--raw", help="Write text to a terminal without sanitizing control characters."),
    ] = False
    record: Annotated[
        Path | None,
        Option(
            "--record", metavar="FILE", dir_okay=False, help="Also save the events as JSON lines."
        ),
    ] = None
    stats: Annotated[
        bool,
        Option(
            "--stats",
            help="Time to first token, tokens, tokens/s: live on a terminal, one line on "
            "stderr at the end.",
        ),
    ] = False
    hide_reasoning: Annotated[
        bool, Option("--hide-reasoning", help="Terminal: do not show the model's reasoning.")
    ] = False
    no_cursor: Annotated[
        bool, Option("--no-cursor", help="Terminal: no cursor glyph after the live text.")
    ] = False
    unsafe: Annotated[
        bool,
        Option("--unsafe", help="asciicast: keep every escape sequence as recorded."),
    ] = False


def choose_sink(
    env: "Environment", options: OutputOptions, source: "Source | None" = None
) -> "Sink":
    """Pick the sink from the environment, the flags and what the source says it streams,
    as httpie picks its output stream.

    A source of recorded terminal output (asciicast) is written as recorded instead of as
    text, except where plain text is asked for (`--plain`, TERM=dumb): there its escape
    sequences are made visible; a source's `line_labels` say how its lines name their file.
    """
    output = source.output if source is not None else "text"
    line_labels = source.line_labels if source is not None else "none"
    if options.json:
        from streamcli.sinks.jsonl import JsonlSink

        return JsonlSink(env.stdout, escape_controls=env.stdout_isatty)
    if output == "terminal" and not (options.plain or env.dumb_terminal):
        from streamcli.sinks.passthrough import PassthroughSink

        return PassthroughSink(
            env.stdout, env.stderr, safe=not options.unsafe, restore_terminal=env.stdout_isatty
        )
    mode = terminal_mode(env, options)
    if mode is not None:
        from streamcli.sinks.ansi_lines import color_system_for
        from streamcli.sinks.terminal import TerminalSink

        return TerminalSink(
            env.stdout,
            size=env.terminal_size,
            live=mode == "live",
            color_system=color_system_for(env.environ),
            no_color=env.no_color,
            hide_reasoning=options.hide_reasoning,
            cursor_glyph=not options.no_cursor,
            status_line=options.stats,
            raw=options.raw,
            line_labels=line_labels,
            rewraps=env.rewrapping_terminal,
        )
    from streamcli.sinks.text import TextSink

    return TextSink(
        env.stdout,
        env.stderr,
        sanitize_output=env.stdout_isatty and not options.raw,
        terminal=env.stdout_isatty,
        line_labels=line_labels,
    )


def terminal_mode(env: "Environment", options: OutputOptions) -> Literal["live", "append"] | None:
    """Whether the terminal sink renders, and how: live on an interactive terminal,
    append-only (finished blocks, colour, no cursor movement) when FORCE_COLOR asks for
    colour in a pipe or TTY_INTERACTIVE=0; None for plain text (`--plain`, TERM=dumb, a
    pipe or a file)."""
    if options.plain or env.dumb_terminal:
        return None
    if env.stdout_isatty:
        return "append" if env.environ.get("TTY_INTERACTIVE") == "0" else "live"
    return "append" if env.force_color else None
