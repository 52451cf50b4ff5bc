from __future__ import annotations

import orjson
import pytest

from streamcli import events


def test_constructors_make_valid_events():
    made = [
        events.start(0.0, "chat", provider="ollama", model="m"),
        events.text(0.1, "hi"),
        events.reasoning(0.1, "hmm"),
        events.tool_start(0.2, "c1", "time", {"tz": "UTC"}),
        events.tool_progress(0.25, "c1", "time", "1/2 looking", server="clock"),
        events.tool_end(0.3, "c1", "time", True, "12:00", 4.5),
        events.line(0.4, "log line", "app.log"),
        events.notice(0.5, "app.log truncated", file="app.log"),
        events.error(0.6, "http", "boom", status=500, retryable=True),
        events.end(0.7, "stop", usage={"input_tokens": 1, "output_tokens": 2}),
    ]
    assert [e["type"] for e in made] == sorted(
        events.EVENT_TYPES,
        key=[
            "start",
            "text",
            "reasoning",
            "tool_start",
            "tool_progress",
            "tool_end",
            "line",
            "notice",
            "error",
            "end",
        ].index,
    )
    for event in made:
        assert events.problem(event) is None, event
        assert orjson.loads(events.encode(event)) == event
        assert events.encode(event).endswith(b"\n")
    assert made[0]["v"] == events.SCHEMA_VERSION == 1


@pytest.mark.parametrize(
    ("event", "why"),
    [
        ([1, 2], "not a JSON object"),
        ({"t": 0}, 'no "type" string'),
        ({"type": "text", "text": "x"}, '"t" must be a number'),
        ({"type": "text", "t": -1, "text": "x"}, '"t" must be a number'),
        ({"type": "text", "t": "1", "text": "x"}, '"t" must be a number'),
        ({"type": "text", "t": 0}, '"text" must be a string'),
        ({"type": "start", "t": 0, "v": True, "source": "x"}, '"v" must be an integer'),
        (
            {
                "type": "tool_end",
                "t": 0,
                "id": "a",
                "name": "b",
                "ok": 1,
                "output": "",
                "duration_ms": 1,
            },
            '"ok" must be true or false',
        ),
        (
            {"type": "tool_start", "t": 0, "id": "a", "name": "b", "arguments": []},
            '"arguments" must be an object',
        ),
        ({"type": "end", "t": 0}, '"reason" must be a string'),
    ],
)
def test_problem_names_what_is_wrong(event, why):
    assert why in events.problem(event)


def test_unknown_types_and_fields_are_valid():
    assert events.problem({"type": "future_thing", "t": 1.5, "x": [1]}) is None
    assert events.problem({"type": "text", "t": 1, "text": "a", "extra": {"k": 1}}) is None


def test_stream_clock_counts_from_its_start_and_never_decreases():
    now = [100.0]
    clock = events.StreamClock(lambda: now[0])
    assert clock() == 0.0
    now[0] = 101.2345678
    assert clock() == 1.234568
    readings = []
    for step in (0.1, 0.0, 0.3):
        now[0] += step
        readings.append(clock())
    assert readings == sorted(readings)
