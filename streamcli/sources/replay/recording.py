"""streamcli recordings: the `--json` event stream saved to a file, read back lazily."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import orjson

from streamcli import events
from streamcli.errors import BadInput
from streamcli.events import Event

_ORJSON_POSITION = re.compile(r": line \d+ column (\d+) \(char \d+\)$")


def json_problem(exc: orjson.JSONDecodeError) -> str:
    """orjson's message, with its position given as a column of the line."""
    message = _ORJSON_POSITION.sub(r" at column \1", str(exc))
    return f"not valid JSON ({message})"


class LineProblems:
    """Bad lines: strict mode stops with exit 2; lenient mode skips them with a notice."""

    def __init__(self, name: str, lenient: bool) -> None:
        self.name = name
        self.lenient = lenient

    def __call__(self, lineno: int, why: str, t: float) -> Event:
        """Return the notice for a skipped line, or raise when strict."""
        where = f"{self.name}: line {lineno}"
        if not self.lenient:
            raise BadInput(f"{where}: {why} (--lenient skips bad lines)")
        return events.notice(t, f"{where} skipped: {why}")


def read_recording(batches: Iterable[list[bytes]], problems: LineProblems) -> Iterator[list[Event]]:
    """Decode and check each line of a recording; yields one list per batch of lines.
    A recording that stops before its `end` event (its writer was killed) is ended with a
    notice that says so and an `end` (reason `eof`), as a stream always ends."""
    loads = orjson.loads
    problem = events.problem
    lineno = 0
    t = 0.0  # of the last good event, for the notice about a bad line
    ended = False  # the last good event was an `end`
    for lines in batches:
        out: list[Event] = []
        append = out.append
        for raw in lines:
            lineno += 1
            try:
                event = loads(raw)
            except orjson.JSONDecodeError as exc:
                if raw.isspace() or not raw:
                    continue
                why = json_problem(exc)
            else:
                if _plain_text_event(event):  # the common case, checked inline
                    append(event)
                    ended = False
                    continue
                found = problem(event)
                if found is None:
                    append(event)
                    ended = event["type"] == "end"
                    continue
                why = found
            if out:
                t = out[-1]["t"]
                if not problems.lenient:
                    yield out  # everything before the bad line is played first
                    out = []
                    append = out.append
            append(problems(lineno, why, t))
        if out:
            t = out[-1]["t"]
            yield out
    if not ended:
        said = f"{problems.name} ends without its end event: the recording was cut short"
        closing = [events.notice(t, said), events.end(t, "eof")]
        yield closing if lineno else [events.start(0.0, "replay"), *closing]


def _plain_text_event(event: object) -> bool:
    """A valid `text` event with a float `t` (most of any recording), cheaply."""
    try:
        return (
            event["type"] == "text"  # type: ignore[index]
            and event["text"].__class__ is str  # type: ignore[index]
            and event["t"].__class__ is float  # type: ignore[index]
            and event["t"] >= 0  # type: ignore[index]
        )
    except (KeyError, TypeError, IndexError):
        return False
