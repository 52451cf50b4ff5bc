"""How log lines look: levels found where logs write them, JSON records as key=value."""

from __future__ import annotations

import orjson
import pytest

from streamcli import events
from streamcli.sinks.logline import LineFormatter, find_level, level_from_value


@pytest.mark.parametrize(
    ("line", "level", "word"),
    [
        ("2026-01-02 12:00:00,123 ERROR app: disk full", "error", "ERROR"),
        ("2026-01-02T12:00:00Z WARN  retrying", "warning", "WARN"),
        ("[info] listening on :8080", "info", "info"),
        ("<debug> cache miss", "debug", "debug"),
        ('time=12:00 level=warning msg="slow query"', "warning", "warning"),
        ('{"level":"fatal","msg":"boom"}', "critical", "fatal"),
        ("E0102 12:00:00.000000 1234 main.go:42] failed", "error", "E"),
        ("I0102 12:00:00.000000 1234 main.go:42] ok", "info", "I"),
        ("Jan  2 12:00:00 host kernel: CRITICAL temperature", "critical", "CRITICAL"),
        ("DEBUG:root:starting", "debug", "DEBUG"),
    ],
)
def test_levels_are_found_where_logs_write_them(line, level, word):
    found = find_level(line)
    assert found is not None
    assert found[0] == level and line[found[1] : found[2]] == word


@pytest.mark.parametrize(
    "line",
    [
        "GET /errors/list 200",  # a path, not a level
        "no level here, an error in passing",  # lower case words in prose
        "INFORMATIONAL text",  # a longer word
        "x" * 200 + " ERROR",  # too far into a long line
        "[main] started",  # a bracketed word that is not a level
    ],
)
def test_no_level_where_there_is_none(line):
    assert find_level(line) is None


def test_numeric_levels_of_pino_and_bunyan():
    assert [level_from_value(n) for n in (10, 20, 30, 40, 50, 60)] == [
        "trace",
        "debug",
        "info",
        "warning",
        "error",
        "critical",
    ]
    assert level_from_value(True) is None and level_from_value("chatty") is None


def test_a_structured_record_reads_time_level_message_then_fields():
    formatter = LineFormatter()
    record = {
        "msg": "request done",
        "level": 30,
        "time": 1767355200000,  # epoch milliseconds: shown as local time
        "status": 200,
        "path": "/a b",
        "nested": {"k": [1, 2]},
        "evil": "\x1b]0;title\x07",
    }
    [text] = formatter.format(events.line(0.0, orjson.dumps(record).decode(), "app.log"))
    plain = text.plain
    assert plain.startswith("2026-01-0") and " INFO  request done " in plain
    assert plain.endswith('status=200 path="/a b" nested={"k":[1,2]} evil=\\x1b]0;title\\x07')


def test_a_record_without_the_usual_keys_is_all_fields():
    [text] = LineFormatter().format(events.line(0.0, '{"a": 1, "b": "x"}', "-"))
    assert text.plain == "a=1 b=x"


def test_raw_lines_keep_their_bytes_and_get_labels():
    formatter = LineFormatter(labels="prefix", raw=True)
    assert formatter.format(events.line(0.0, "\x1b[1mbold\x1b[0m", "a.log")) == [
        "a.log: \x1b[1mbold\x1b[0m"
    ]
