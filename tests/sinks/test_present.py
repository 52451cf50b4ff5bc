"""present: the words every sink, --stats and `history` use for events."""

from __future__ import annotations

import pytest

from streamcli import events
from streamcli.sinks import present


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0.0, "0.0s"), (-0.5, "0.0s"), (0.44, "0.4s"), (12.34, "12.3s"), (125.9, "2m05s")],
)
def test_a_running_clock_is_compact(seconds, shown):
    assert present.elapsed(seconds) == shown


@pytest.mark.parametrize(
    ("ms", "shown"),
    [(0, "0 ms"), (48.4, "48 ms"), (999.4, "999 ms"), (1234, "1.2 s"), (59_900, "59.9 s")],
)
def test_a_finished_duration_in_ms_then_seconds(ms, shown):
    assert present.duration(ms) == shown


def test_a_duration_of_minutes_reads_like_the_running_clock():
    assert present.duration(125_000) == present.elapsed(125) == "2m05s"


def test_shorten_keeps_short_text_and_marks_a_cut():
    assert present.shorten("abc", 3) == "abc"
    assert present.shorten("abcd", 3) == "ab…"
    assert len(present.shorten("x" * 500, 80)) == 80


def test_arguments_are_compact_json_on_one_sanitized_line():
    assert present.arguments_summary({"city": "Paris", "days": 2}) == '{"city":"Paris","days":2}'
    assert present.arguments_summary({"q": "a  \x1b[2J  b"}) == '{"q":"a \\u001b[2J b"}'
    assert present.arguments_summary({"q": "evil\u202eexe"}) == '{"q":"evil\\u202eexe"}'


def test_long_arguments_are_cut_at_the_one_limit():
    summary = present.arguments_summary({"text": "word " * 100})
    assert len(summary) == present.SUMMARY_LIMIT and summary.endswith("…")


def test_arguments_that_are_not_json_fall_back_to_repr():
    assert present.arguments_summary({1, 2}) in ("{1, 2}", "{2, 1}")


def test_one_line_joins_whitespace_and_sanitizes():
    assert present.one_line("a\n\tb   c") == "a b c"
    assert present.one_line("bad\x1b[31m") == "bad\\x1b[31m"


def test_file_header_and_prefix():
    assert present.file_header("app.log") == "==> app.log <=="
    assert present.file_prefix("app.log") == "app.log: "


def test_first_line_of_a_failure():
    assert present.first_line("\n  HTTP 500\nstack") == "HTTP 500"
    assert present.first_line("oops\x07") == "oops\\x07"
    assert present.first_line("  \n ") is None
    assert present.first_line(None) is None


def test_end_notes_only_for_streams_that_did_not_end_normally():
    assert present.end_note(events.end(0, "stop")) is None
    assert present.end_note(events.end(0, "interrupted")) == "(interrupted)"
    assert "output limit" in (present.end_note(events.end(0, "length")) or "")


def test_skipped_lines_are_counted_with_separators():
    assert present.skipped(12345) == "… 12,345 lines skipped to keep up …"


def test_describe_tool_calls_and_results():
    start = events.tool_start(0, "1", "get\x1btime", {"tz": "UTC"})
    assert present.describe(start) == '→ get\\x1btime {"tz":"UTC"}'
    done = events.tool_end(0, "1", "get_time", True, "noon", 1500.0)
    assert present.describe(done) == "✓ get_time (1.5 s)"
    failed = events.tool_end(0, "1", "get_time", False, "\nno such zone\nmore", 12.4)
    assert present.describe(failed) == "✗ get_time (12 ms): no such zone"


def test_describe_notices_errors_and_nothing_else():
    assert present.describe(events.notice(0, "rotated", file="a.log")) == (
        "streamcli: a.log: rotated"
    )
    assert present.describe(events.notice(0, "hello")) == "streamcli: hello"
    assert present.describe(events.error(0, "http", "no\x1b[31m")) == (
        "streamcli: error: no\\x1b[31m"
    )
    assert present.describe(events.text(0, "answer")) is None
    assert present.describe(events.end(0, "stop")) is None
    assert present.describe(events.end(0, "interrupted")) is None


def test_describe_a_cut_off_answer_in_the_words_of_the_terminal_note():
    line = present.describe(events.end(0, "length"))
    assert line == "streamcli: the answer was cut off: the output limit was reached"
    assert present.end_note(events.end(0, "length")) == f"({line.removeprefix('streamcli: ')})"


def test_a_tool_list_puts_first_lines_of_descriptions_in_a_column():
    tools = [("time", "What time it is.\n\nLong details."), ("read_file", "x" * 300), ("bare", "")]
    lines = present.tool_list(tools, "  ")
    assert lines[0] == "  time       What time it is."
    assert lines[1].startswith("  read_file  xxx") and lines[1].endswith("…")
    assert len(lines[1]) == 2 + 9 + 2 + present.DESCRIPTION_LIMIT
    assert lines[2] == "  bare"


def test_a_tool_list_shows_hostile_names_and_descriptions_inert():
    (line,) = present.tool_list([("evil\x1b]52;c;eA==\x07", "a\x1b[2Jb")])
    assert "\x1b" not in line and "\x07" not in line
