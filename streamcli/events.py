"""The event model (schema v1): what flows through the pipeline and what `--json` prints.

An event is a plain ``dict`` with a ``type`` and a ``t`` (seconds since the stream's
start, monotonic). Plain dicts keep unknown fields when events are re-emitted and cost
nothing to pass around; the constructors below are the one place that spells out each type.
"""

from __future__ import annotations

import time
from typing import Any

import orjson

Event = dict[str, Any]

SCHEMA_VERSION = 1

END_REASONS = frozenset({"stop", "length", "tool_calls", "interrupted", "error", "eof"})

_NUMBER = frozenset({int, float})
_STRING = frozenset({str})

# Required fields besides `type` and `t`, with the exact Python types their JSON may decode to.
REQUIRED_FIELDS: dict[str, tuple[tuple[str, frozenset[type]], ...]] = {
    "start": (("v", frozenset({int})), ("source", _STRING)),
    "text": (("text", _STRING),),
    "reasoning": (("text", _STRING),),
    "tool_start": (("id", _STRING), ("name", _STRING), ("arguments", frozenset({dict}))),
    "tool_end": (
        ("id", _STRING),
        ("name", _STRING),
        ("ok", frozenset({bool})),
        ("output", _STRING),
        ("duration_ms", _NUMBER),
    ),
    "tool_progress": (("id", _STRING), ("name", _STRING), ("message", _STRING)),
    "line": (("text", _STRING), ("file", _STRING)),
    "notice": (("message", _STRING),),
    "error": (("kind", _STRING), ("message", _STRING)),
    "end": (("reason", _STRING),),
}

EVENT_TYPES = frozenset(REQUIRED_FIELDS)


class StreamClock:
    """Seconds since the stream began, on the monotonic clock (never decreasing)."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self._clock = clock
        self._start = clock()

    def __call__(self) -> float:
        return round(self._clock() - self._start, 6)


def problem(event: Any) -> str | None:
    """Say what is wrong with a decoded event, or return None when it is valid.

    Unknown types are valid (they are passed through); known types must carry their fields.
    """
    if type(event) is not dict:
        return "not a JSON object"
    kind = event.get("type")
    if type(kind) is not str:
        return 'no "type" string'
    t: Any = event.get("t")  # compared only once its type is known to be a number
    if type(t) not in _NUMBER or t < 0:
        return f'{kind} event: "t" must be a number of seconds >= 0'
    required = REQUIRED_FIELDS.get(kind)
    if required is not None:
        for name, allowed in required:
            if type(event.get(name)) not in allowed:
                return f'{kind} event: "{name}" must be {_JSON_NAMES[allowed]}'
    return None


_JSON_NAMES = {
    _NUMBER: "a number",
    _STRING: "a string",
    frozenset({int}): "an integer",
    frozenset({bool}): "true or false",
    frozenset({dict}): "an object",
}


def encode(event: Event) -> bytes:
    """One event as a JSON line (UTF-8, ends with a newline)."""
    return orjson.dumps(event, option=orjson.OPT_APPEND_NEWLINE)


# Constructors: the one place each event type is spelled out.


def start(t: float, source: str, **extra: Any) -> Event:
    return {"type": "start", "t": t, "v": SCHEMA_VERSION, "source": source, **extra}


def text(t: float, text: str) -> Event:
    return {"type": "text", "t": t, "text": text}


def reasoning(t: float, text: str) -> Event:
    return {"type": "reasoning", "t": t, "text": text}


def tool_start(t: float, id: str, name: str, arguments: dict[str, Any], **extra: Any) -> Event:
    return {"type": "tool_start", "t": t, "id": id, "name": name, "arguments": arguments, **extra}


def tool_progress(t: float, id: str, name: str, message: str, **extra: Any) -> Event:
    return {"type": "tool_progress", "t": t, "id": id, "name": name, "message": message, **extra}


def tool_end(
    t: float, id: str, name: str, ok: bool, output: str, duration_ms: float, **extra: Any
) -> Event:
    return {
        "type": "tool_end",
        "t": t,
        "id": id,
        "name": name,
        "ok": ok,
        "output": output,
        "duration_ms": duration_ms,
        **extra,
    }


def line(t: float, text: str, file: str, **extra: Any) -> Event:
    return {"type": "line", "t": t, "text": text, "file": file, **extra}


def notice(t: float, message: str, **extra: Any) -> Event:
    return {"type": "notice", "t": t, "message": message, **extra}


def error(t: float, kind: str, message: str, **extra: Any) -> Event:
    return {"type": "error", "t": t, "kind": kind, "message": message, **extra}


def end(t: float, reason: str, **extra: Any) -> Event:
    return {"type": "end", "t": t, "reason": reason, **extra}
