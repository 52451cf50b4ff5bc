"""Sinks: where a stream ends up. `choose_sink` is the one place that picks one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from streamcli.env import Environment
from streamcli.sinks.base import Sink


@dataclass
class OutputOptions:
    """The output flags every streaming subcommand shares."""

    json: bool = False
    plain: bool = False
    raw: bool = False
    unsafe: bool = False
    stats: bool = False  # a summary line on stderr at the end (`--stats`), live on a terminal
    hide_reasoning: bool = False  # terminal: do not show `reasoning` events
    no_cursor: bool = False  # terminal: no streaming cursor glyph after the live text
    # How `line` events say which file they came from: not at all, a `==> file <==`
    # header when the file changes (as tail does), or a `file: ` prefix on every line.
    line_labels: Literal["none", "header", "prefix"] = "none"


def choose_sink(env: Environment, options: OutputOptions, *, terminal_output: bool = False) -> Sink:
    """Pick the sink from the environment and the flags, as httpie picks its output stream.

    `terminal_output` marks a stream of recorded terminal output (asciicast), which is
    written as recorded instead of as text.
    """
    if options.json:
        from streamcli.sinks.jsonl import JsonlSink

        return JsonlSink(env.stdout, escape_controls=env.stdout_isatty)
    if terminal_output and not options.plain:
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
            line_labels=options.line_labels,
        )
    from streamcli.sinks.text import TextSink

    return TextSink(
        env.stdout,
        env.stderr,
        sanitize_output=env.stdout_isatty and not options.raw,
        terminal=env.stdout_isatty,
        line_labels=options.line_labels,
    )


def terminal_mode(env: Environment, options: OutputOptions) -> Literal["live", "append"] | None:
    """Whether the terminal sink renders, and how: live on an interactive terminal,
    append-only (finished blocks, colour, no cursor movement) when FORCE_COLOR asks for
    colour in a pipe or TTY_INTERACTIVE=0; None for plain text (`--plain`, TERM=dumb, a
    pipe or a file)."""
    if options.plain or env.dumb_terminal:
        return None
    if env.stdout_isatty:
        return "append" if env.environ.get("TTY_INTERACTIVE") == "0" else "live"
    return "append" if env.force_color else None
