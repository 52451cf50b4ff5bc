"""--stats: the summary of a stream from its events."""

from __future__ import annotations

from conftest import run_cli, write_jsonl

from streamcli import events
from streamcli.sinks.stats import StreamStats


def test_server_counts_win_over_chunks():
    stats = StreamStats()
    stats.observe(
        [
            events.start(0.0, "chat"),
            events.text(0.25, "a"),
            events.text(1.25, "b"),
            events.end(1.25, "stop", usage={"input_tokens": 3, "output_tokens": 10}),
        ]
    )
    assert stats.tokens == (10, "tokens")
    assert stats.ttft_ms == 250.0
    assert stats.per_second == 10.0
    assert stats.summary() == "first token 250 ms, 10 tokens, 10.0 tokens/s"


def test_without_server_counts_the_unit_says_chunks_or_lines():
    stats = StreamStats()
    stats.observe([events.start(0.0, "chat"), events.text(0.5, "a"), events.text(1.5, "b")])
    assert stats.summary() == "first token 500 ms, 2 chunks, 2.0 chunks/s"
    stats = StreamStats()
    stats.observe(
        [events.start(0.0, "tail"), events.line(0.1, "x", "f"), events.line(0.6, "y", "f")]
    )
    assert stats.summary() == "first line 100 ms, 2 lines, 4.0 lines/s"
    assert StreamStats().summary() == "no output, 0 chunks"


def test_stats_line_on_stderr_at_the_end(tmp_path):
    path = write_jsonl(
        tmp_path / "r.jsonl",
        [
            events.start(0.0, "chat"),
            events.text(0.1, "hi"),
            events.end(0.2, "stop", usage={"input_tokens": 1, "output_tokens": 4}, ttft_ms=100.0),
        ],
    )
    result = run_cli("replay", "--speed", "0", "--stats", str(path))
    assert result.stdout == b"hi\n"
    assert result.stderr.decode() == "streamcli: first token 100 ms, 4 tokens, 40.0 tokens/s\n"
