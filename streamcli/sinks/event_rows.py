"""How the events around the answer look on a terminal: tools, notices, errors, status.

Each function returns one rich `Text`: the words of `present`, coloured (never markup).
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

from streamcli.events import Event
from streamcli.sinks import present, spinner

DIM = Style(dim=True)
REASONING = Style(dim=True, italic=True)
_SPINNER = Style(color="cyan")
_NAME = Style(bold=True)
_OK = Style(color="green", bold=True)
_FAILED = Style(color="red", bold=True)
_NOTICE = Style(color="yellow")
_ERROR_LABEL = Style(color="red", bold=True)
_ERROR = Style(color="red")


def tool_running(name: str, summary: str, elapsed: float) -> Text:
    """The spinner row of a running tool: glyph, name, elapsed time, arguments."""
    return Text.assemble(
        (spinner.frame(elapsed), _SPINNER),
        " ",
        (name, _NAME),
        (f" {present.elapsed(elapsed)} ", DIM),
        (summary, DIM),
    )


def tool_started(name: str, summary: str) -> Text:
    """Where no spinner can run (append mode): that the tool started."""
    return Text.assemble((present.STARTED + " ", DIM), (name, _NAME), " ", (summary, DIM))


def tool_finished(name: str, ok: bool, ms: float, output: object) -> Text:
    """✓ or ✗, the name, the duration and, for a failure, the output's first line."""
    row = Text.assemble(
        (present.mark(ok) + " ", _OK if ok else _FAILED),
        (name, _NAME),
        (f" {present.duration(ms)}", DIM),
    )
    failure = None if ok else present.first_line(output)
    if failure:
        row.append(": " + failure, _ERROR)
    return row


def tool_stopped(name: str, elapsed: float) -> Text:
    """A tool still running when the stream ended."""
    return Text.assemble(
        (present.STOPPED + " ", _FAILED),
        (name, _NAME),
        (f" stopped after {present.elapsed(elapsed)}", DIM),
    )


def waiting(label: str, elapsed: float) -> Text:
    return Text.assemble(
        (spinner.frame(elapsed), _SPINNER), (f" {label} {present.elapsed(elapsed)}", DIM)
    )


def notice(event: Event) -> Text:
    return Text.assemble(("streamcli: ", DIM), (present.notice_message(event), _NOTICE))


def error(event: Event) -> Text:
    return Text.assemble(
        ("streamcli: ", DIM),
        ("error: ", _ERROR_LABEL),
        (present.error_message(event), _ERROR),
    )


def end_note(event: Event, answered: bool = True) -> Text | None:
    """A dim note for a stream that did not end normally or answered nothing, or None."""
    note = present.end_note(event, answered)
    return Text(note, style=DIM) if note else None


def skipped(count: int) -> Text:
    return Text(present.skipped(count), style=DIM)


def status(summary: str, elapsed: float) -> Text:
    return Text(f"{summary} · {present.elapsed(elapsed)}", style=DIM)
