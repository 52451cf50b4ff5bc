"""The plain text sink: the answer on stdout, the rest as short lines on stderr."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from pipe_streams import TEXT, chunked, run_into_pipe, stream_events

from streamcli import events
from streamcli.sinks.text import TextSink


@settings(max_examples=60, deadline=None)
@given(TEXT, st.lists(st.integers(0, 300), max_size=40), st.integers(1, 7))
def test_text_sink_into_a_pipe_writes_exactly_the_text(text, cuts, group):
    batches = stream_events(chunked(text, cuts), group)
    out = run_into_pipe(
        lambda w: TextSink(w, io.StringIO(), sanitize_output=False, terminal=False), batches
    )
    ending = "" if text == "" or text.endswith("\n") else "\n"  # a final newline is added
    assert out == (text + ending).encode("utf-8", "replace")


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
