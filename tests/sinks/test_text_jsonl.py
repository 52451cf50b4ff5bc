"""Sinks through the real pipeline: nothing lost, duplicated or reordered."""

from __future__ import annotations

import io
import os
import threading

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from streamcli import events
from streamcli.pipeline import Pipeline, Source
from streamcli.sinks.jsonl import JsonlSink
from streamcli.sinks.text import TextSink

TEXT = st.lists(
    st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(["\x1b[1A", "\x1b]52;c;eA==\x07", "é", "日本", "🦀", "\r\n", "\n"]),
    ),
    max_size=120,
).map("".join)


class ListSource(Source):
    name = "test"

    def __init__(self, batches):
        self._batches = batches

    def batches(self):
        yield from self._batches


def chunked(text: str, cuts: list[int]) -> list[str]:
    cuts = sorted(c for c in cuts if 0 < c < len(text))
    return [text[i:j] for i, j in zip([0, *cuts], [*cuts, len(text)], strict=True) if i < j]


def stream_events(chunks: list[str], group: int) -> list[list[dict]]:
    all_events = [events.start(0.0, "test")]
    all_events += [events.text(i * 0.001, c) for i, c in enumerate(chunks)]
    all_events.append(events.end(1.0, "stop"))
    return [all_events[i : i + group] for i in range(0, len(all_events), group)]


def run_into_pipe(make_sink, batches) -> bytes:
    """Run the pipeline into a real pipe drained by a reader thread."""
    read_fd, write_fd = os.pipe()
    received = bytearray()

    def drain():
        with os.fdopen(read_fd, "rb") as reader:
            while chunk := reader.read(65536):
                received.extend(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    with os.fdopen(write_fd, "wb") as writer:
        status = Pipeline(ListSource(batches), make_sink(writer), stderr=io.StringIO()).run()
    reader.join()
    assert status == 0
    return bytes(received)


@settings(max_examples=60, deadline=None)
@given(TEXT, st.lists(st.integers(0, 300), max_size=40), st.integers(1, 7))
def test_text_sink_into_a_pipe_writes_exactly_the_text(text, cuts, group):
    batches = stream_events(chunked(text, cuts), group)
    out = run_into_pipe(
        lambda w: TextSink(w, io.StringIO(), sanitize_output=False, terminal=False), batches
    )
    ending = "" if text == "" or text.endswith("\n") else "\n"  # a final newline is added
    assert out == (text + ending).encode("utf-8", "replace")


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


def test_text_sink_on_a_terminal_sanitizes_and_ends_with_a_newline():
    out, err = io.BytesIO(), io.StringIO()
    sink = TextSink(out, err, sanitize_output=True, terminal=True)
    sink.write([events.text(0, "safe\x1b[1A"), events.text(0, "\x1b[2Khidden\r")])
    sink.write([events.text(0, "\nnext")])
    sink.close()
    assert out.getvalue() == b"safe\\x1b[1A\\x1b[2Khidden\nnext\n"


def test_text_sink_sends_side_channel_events_to_stderr_in_order():
    out, err = io.BytesIO(), io.StringIO()
    sink = TextSink(out, err, sanitize_output=False, terminal=False)
    sink.write(
        [
            events.text(0, "Let me check."),
            events.reasoning(0, "thinking\x1b]0;x\x07"),
            events.tool_start(0, "1", "get_time", {"tz": "UTC"}),
            events.tool_end(0, "1", "get_time", False, "no such zone\nmore", 12.4),
            events.notice(0, "app.log truncated", file="app.log"),
            events.error(0, "http", "server said \x1b[31mno"),
            events.text(0, " Done."),
        ]
    )
    sink.close()
    assert out.getvalue() == b"Let me check. Done.\n"
    assert err.getvalue().splitlines() == [
        "thinking\\x1b]0;x\\x07",
        '→ get_time {"tz":"UTC"}',
        "✗ get_time (12 ms): no such zone",
        "streamcli: app.log: app.log truncated",
        "streamcli: error: server said \\x1b[31mno",
    ]


def test_text_sink_labels_lines_from_several_files():
    lines = [
        events.line(0, "a1", "a.log"),
        events.line(0, "b1", "b.log"),
        events.line(0, "b2", "b.log"),
        events.line(0, "a2", "a.log"),
    ]
    out = io.BytesIO()
    TextSink(out, io.StringIO(), sanitize_output=False, terminal=False, line_labels="header").write(
        lines
    )
    assert out.getvalue().decode() == (
        "==> a.log <==\na1\n\n==> b.log <==\nb1\nb2\n\n==> a.log <==\na2\n"
    )
    out = io.BytesIO()
    TextSink(out, io.StringIO(), sanitize_output=False, terminal=False, line_labels="prefix").write(
        lines[:2]
    )
    assert out.getvalue().decode() == "a.log: a1\nb.log: b1\n"


def test_one_write_per_frame():
    out = io.BytesIO()
    sink = TextSink(out, io.StringIO(), sanitize_output=False, terminal=False)
    sink.write([events.text(0, str(i)) for i in range(1000)])
    assert sink.output.writes == 1
    assert out.getvalue() == "".join(str(i) for i in range(1000)).encode()


def test_a_cut_off_answer_says_so_on_stderr_and_ends_its_line():
    out, err = io.BytesIO(), io.StringIO()
    sink = TextSink(out, err, sanitize_output=False, terminal=False)
    sink.write([events.text(0.1, "An unfinished"), events.end(0.2, "length")])
    sink.close()
    assert out.getvalue() == b"An unfinished\n"
    assert err.getvalue() == "streamcli: the answer was cut off: the output limit was reached\n"
