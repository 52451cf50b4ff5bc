"""How events look as text: the one place that words and numbers are chosen.

Every sink that writes words (the terminal, plain text, passthrough's side channel),
`--stats`, the spinner rows and `streamcli history` take their durations, tool-argument
summaries, marks and file labels from here, so the same event reads the same everywhere.
The functions return plain strings, sanitized where they carry untrusted text; the
terminal adds colour on top (`event_rows`), nothing here imports rich.
"""

from __future__ import annotations

import orjson

from streamcli.errors import error_line
from streamcli.events import Event
from streamcli.sanitize import sanitize

SUMMARY_LIMIT = 200  # characters of a tool's arguments shown on its one line
DESCRIPTION_LIMIT = 100  # characters of a tool's description in a list of tools

STARTED = "→"
OK = "✓"
FAILED = "✗"
STOPPED = "■"

CUT_OFF = "the answer was cut off: the output limit was reached"
END_NOTES = {"length": f"({CUT_OFF})", "interrupted": "(interrupted)"}
EMPTY_ANSWER = "(empty answer)"
EMPTY_ANSWER_LINE = "streamcli: the answer was empty"  # on stderr, when stdout is a pipe


def elapsed(seconds: float) -> str:
    """A clock that is still running, compact because it changes every frame: 0.4s, 2m05s."""
    if seconds < 60:
        return f"{max(seconds, 0.0):.1f}s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}m{rest:02d}s"


def duration(ms: float) -> str:
    """A finished duration: 48 ms, 1.2 s, 2m05s."""
    if ms < 1000:
        return f"{ms:.0f} ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f} s"
    return elapsed(ms / 1000)


def shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def one_line(text: str) -> str:
    """Untrusted text on one line: runs of whitespace become one space, then sanitized."""
    return sanitize(" ".join(text.split()))


def arguments_summary(arguments: object) -> str:
    """A tool's arguments on one short, sanitized line (compact JSON)."""
    try:
        text = orjson.dumps(arguments).decode()
    except TypeError:
        text = repr(arguments)
    return shorten(one_line(text), SUMMARY_LIMIT)


def tool_started(name: str, summary: str) -> str:
    """A tool call as one line: `→ name {arguments}` (`name` and `summary` already safe)."""
    return f"{STARTED} {name} {summary}"


def mark(ok: bool) -> str:
    return OK if ok else FAILED


def first_line(output: object) -> str | None:
    """The sanitized first line of a failed tool's output, or None when it has none."""
    if not isinstance(output, str) or not output.strip():
        return None
    return sanitize(output.strip().splitlines()[0])


def tool_list(tools: list[tuple[str, str]], indent: str = "") -> list[str]:
    """(name, description) pairs as lines: each description's first line, shortened, in
    one column beside the names (all sanitized)."""
    names = [sanitize(name) for name, _ in tools]
    width = max(map(len, names), default=0)
    lines = []
    for name, (_, description) in zip(names, tools, strict=True):
        first = (description.strip().splitlines() or [""])[0]
        lines.append(f"{indent}{name:{width}}  {shorten(one_line(first), DESCRIPTION_LIMIT)}")
    return [line.rstrip() for line in lines]


def file_header(file: str) -> str:
    """The line that says which file the next lines come from, as `tail` writes it."""
    return f"==> {file} <=="


def file_prefix(file: str) -> str:
    """The label before every line with `--prefix`."""
    return f"{file}: "


def notice_message(event: Event) -> str:
    """A `notice`'s sanitized message, after the file it concerns when it names one."""
    file = event.get("file")
    where = file_prefix(sanitize(file)) if isinstance(file, str) and file else ""
    return where + sanitize(str(event.get("message", "")))


def error_message(event: Event) -> str:
    return sanitize(str(event.get("message", "")))


def end_note(event: Event, answered: bool = True) -> str | None:
    """A note for a stream that did not end normally, or that ended without a visible
    word of answer (`answered` false), or None."""
    reason = event.get("reason")
    if reason == "stop" and not answered:
        return EMPTY_ANSWER
    return END_NOTES.get(reason) if isinstance(reason, str) else None


def skipped(count: int) -> str:
    return f"… {count:,} lines skipped to keep up …"


MODEL_NAME_LIMIT = 32


def model_name(model: str) -> str:
    """A model as a prompt or a table shows it: a path (a llama.cpp server's model id, a
    GGUF file) by its file name without `.gguf`, anything longer than `MODEL_NAME_LIMIT`
    shortened in the middle."""
    name = model.rstrip("/\\").replace("\\", "/").rsplit("/", 1)[-1] or model
    if name.lower().endswith(".gguf"):
        name = name[: -len(".gguf")]
    if len(name) <= MODEL_NAME_LIMIT:
        return name
    half = (MODEL_NAME_LIMIT - 1) // 2
    return f"{name[:half]}…{name[-(MODEL_NAME_LIMIT - 1 - half) :]}"


def describe(event: Event) -> str | None:
    """The one-line, sanitized description of a side-channel event (plain text on
    stderr), or None to skip it."""
    kind = event.get("type")
    if kind == "tool_start":
        name = sanitize(str(event.get("name", "?")))
        return tool_started(name, arguments_summary(event.get("arguments")))
    if kind == "tool_end":
        ok = event.get("ok") is True
        ms = event.get("duration_ms")
        took = duration(ms if isinstance(ms, (int, float)) and not isinstance(ms, bool) else 0)
        line = f"{mark(ok)} {sanitize(str(event.get('name', '?')))} ({took})"
        failure = None if ok else first_line(event.get("output"))
        return f"{line}: {failure}" if failure else line
    if kind == "notice":
        return f"streamcli: {notice_message(event)}"
    if kind == "error":
        return error_line(str(event.get("message", "")))
    if kind == "end" and event.get("reason") == "length":
        return f"streamcli: {CUT_OFF}"
    return None
