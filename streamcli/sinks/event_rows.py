"""How the events around the answer look on a terminal: tools, notices, errors, status.

Each function returns one rich `Text` built from sanitized strings (never markup).
"""

from __future__ import annotations

import orjson
from rich.style import Style
from rich.text import Text

from streamcli.events import Event
from streamcli.sanitize import sanitize
from streamcli.sinks import spinner

DIM = Style(dim=True)
REASONING = Style(dim=True, italic=True)
_SPINNER = Style(color="cyan")
_NAME = Style(bold=True)
_OK = Style(color="green", bold=True)
_FAILED = Style(color="red", bold=True)
_NOTICE = Style(color="yellow")
_ERROR_LABEL = Style(color="red", bold=True)
_ERROR = Style(color="red")

SUMMARY_LIMIT = 200

_END_NOTES = {
    "length": "(the answer was cut off: the output limit was reached)",
    "interrupted": "(interrupted)",
}


def arguments_summary(arguments: object) -> str:
    """Tool arguments on one short, sanitized line."""
    try:
        text = orjson.dumps(arguments).decode()
    except TypeError:
        text = repr(arguments)
    text = sanitize(" ".join(text.split()))
    return text if len(text) <= SUMMARY_LIMIT else text[: SUMMARY_LIMIT - 1] + "…"


def tool_running(name: str, summary: str, elapsed: float) -> Text:
    """The spinner row of a running tool: glyph, name, elapsed time, arguments."""
    return Text.assemble(
        (spinner.frame(elapsed), _SPINNER),
        " ",
        (name, _NAME),
        (f" {spinner.seconds(elapsed)} ", DIM),
        (summary, DIM),
    )


def tool_started(name: str, summary: str) -> Text:
    """Where no spinner can run (append mode): that the tool started."""
    return Text.assemble(("→ ", DIM), (name, _NAME), " ", (summary, DIM))


def tool_finished(name: str, ok: bool, ms: float, output: object) -> Text:
    """✓ or ✗, the name, the duration and, for a failure, the output's first line."""
    row = Text.assemble(
        ("✓ " if ok else "✗ ", _OK if ok else _FAILED),
        (name, _NAME),
        (f" {spinner.duration(ms)}", DIM),
    )
    if not ok and isinstance(output, str) and output.strip():
        row.append(": " + sanitize(output.strip().splitlines()[0]), _ERROR)
    return row


def tool_stopped(name: str, elapsed: float) -> Text:
    """A tool still running when the stream ended."""
    return Text.assemble(
        ("■ ", _FAILED), (name, _NAME), (f" stopped after {spinner.seconds(elapsed)}", DIM)
    )


def waiting(label: str, elapsed: float) -> Text:
    return Text.assemble(
        (spinner.frame(elapsed), _SPINNER), (f" {label} {spinner.seconds(elapsed)}", DIM)
    )


def notice(event: Event) -> Text:
    file = event.get("file")
    where = f"{sanitize(file)}: " if isinstance(file, str) else ""
    message = sanitize(str(event.get("message", "")))
    return Text.assemble(("streamcli: ", DIM), (where + message, _NOTICE))


def error(event: Event) -> Text:
    return Text.assemble(
        ("streamcli: ", DIM),
        ("error: ", _ERROR_LABEL),
        (sanitize(str(event.get("message", ""))), _ERROR),
    )


def end_note(event: Event) -> Text | None:
    """A dim note for a stream that did not end normally, or None."""
    reason = event.get("reason")
    note = _END_NOTES.get(reason) if isinstance(reason, str) else None
    return Text(note, style=DIM) if note else None


def skipped(count: int) -> Text:
    return Text(f"… {count:,} lines skipped to keep up …", style=DIM)


def status(summary: str, elapsed: float) -> Text:
    return Text(f"{summary} · {spinner.seconds(elapsed)}", style=DIM)
