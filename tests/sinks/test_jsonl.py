"""The JSON lines sink: every event once, in order, one per line."""

from __future__ import annotations

import io

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st
from pipe_streams import TEXT, chunked, run_into_pipe, stream_events

from streamcli import events
from streamcli.sinks.jsonl import JsonlSink


@settings(max_examples=60, deadline=None)
@given(TEXT, st.lists(st.integers(0, 300), max_size=40), st.integers(1, 7))
def test_jsonl_sink_writes_every_event_once_in_order(text, cuts, group):
    batches = stream_events(chunked(text, cuts), group)
    out = run_into_pipe(lambda w: JsonlSink(w), batches)
    assert out.endswith(b"\n")
    decoded = [orjson.loads(line) for line in out.split(b"\n")[:-1]]
    assert decoded == [e for batch in batches for e in batch]


@given(TEXT)
def test_jsonl_on_a_terminal_escapes_controls_but_keeps_the_meaning(text):
    buffer = io.BytesIO()
    JsonlSink(buffer, escape_controls=True).write([events.text(0.0, text)])
    raw = buffer.getvalue()
    assert orjson.loads(raw) == events.text(0.0, text)
    for unsafe in (b"\x1b", b"\x7f", b"\xc2\x9b", b"\xe2\x80\xae", b"\xf3\xa0\x80\x81"):
        assert unsafe not in raw
