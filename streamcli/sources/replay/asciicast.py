"""asciicast v2 and v3 recordings (asciinema), read lazily as streamcli events.

Output (``o``) becomes `text` events carrying the recorded terminal output; the exit
status (``x``, v3) goes into the `end` event; input, markers, resizes and unknown codes
are ignored, as players must.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from streamcli import events
from streamcli.errors import BadInput
from streamcli.events import Event
from streamcli.sources.replay.recording import LineProblems, json_problem

OVERFLOW = "the event time overflows: the intervals so far add up to more than any number"


def parse_header(line: bytes) -> dict[str, Any] | None:
    """The asciicast header on `line`, or None when it is not one."""
    try:
        header = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if type(header) is not dict or "type" in header:
        return None
    if header.get("version") == 2 and "width" in header:
        return header
    if header.get("version") == 3 and isinstance(header.get("term"), dict):
        return header
    return None


def header_problem(line: bytes) -> str | None:
    """Why `line`, which looks like an asciicast header (an object with a `version` and no
    `type`), cannot be played; None when it does not look like one."""
    try:
        header = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if type(header) is not dict or "type" in header or "version" not in header:
        return None
    version = header["version"]
    if version == 2:
        return "an asciicast v2 header without its width"
    if version == 3:
        return "an asciicast v3 header without its term object"
    shown = orjson.dumps(version, default=str).decode()[:20]
    return f"an asciicast header of version {shown}: only versions 2 and 3 are played"


def _size(header: dict[str, Any]) -> tuple[Any, Any]:
    if header["version"] == 2:
        return header.get("width"), header.get("height")
    return header["term"].get("cols"), header["term"].get("rows")


def idle_limit(header: dict[str, Any]) -> float | None:
    """The recording's own idle time limit, if it has a valid one."""
    limit = header.get("idle_time_limit")
    if isinstance(limit, (int, float)) and not isinstance(limit, bool) and limit > 0:
        return float(limit)
    return None


def _event_problem(item: Any) -> str | None:
    if type(item) is not list or len(item) != 3:
        return "an event must be an array [time, code, data]"
    time, code, data = item
    if type(time) not in (int, float) or time < 0:
        return "the event time must be a number >= 0"
    if type(code) is not str:
        return "the event code must be a string"
    if type(data) is not str:
        return "the event data must be a string"
    return None


def read_asciicast(
    header: dict[str, Any], batches: Iterable[list[bytes]], problems: LineProblems
) -> Iterator[list[Event]]:
    """Events of an asciicast whose header line is the first line of `batches`."""
    version = header["version"]
    width, height = _size(header)
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in (width, height)):
        raise BadInput(f"{problems.name}: line 1: the asciicast header has no valid size")
    yield [events.start(0.0, "replay", format=f"asciicast-v{version}", width=width, height=height)]
    relative = version == 3
    t = 0.0
    exit_status: int | None = None
    lineno = 0
    for lines in batches:
        out: list[Event] = []
        for raw in lines:
            lineno += 1
            if lineno == 1:
                continue  # the header
            stripped = raw.strip()
            if not stripped or (relative and stripped.startswith(b"#")):
                continue
            try:
                item = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                why: str | None = json_problem(exc)
            else:
                why = _event_problem(item)
            if why is None:
                at = round(t + item[0], 6) if relative else max(t, float(item[0]))
                if not math.isfinite(at):  # v3's intervals summed past the largest float
                    why = OVERFLOW
            if why is not None:
                if out and not problems.lenient:
                    yield out  # everything before the bad line is played first
                    out = []
                out.append(problems(lineno, why, t))
                continue
            _, code, data = item
            t = at
            if code == "o":
                out.append(events.text(t, data))
            elif code == "x" and data.strip().lstrip("-").isdigit():
                exit_status = int(data)
        if out:
            yield out
    extra = {} if exit_status is None else {"exit_status": exit_status}
    yield [events.end(t, "eof", **extra)]
