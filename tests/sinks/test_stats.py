"""--stats: the summary of a stream from its events."""

from __future__ import annotations

import re

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
    assert stats.summary() == "first token 250 ms, 10 tokens (2 chunks), 10.0 tokens/s"


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
    stats = StreamStats()
    stats.observe([events.start(0.0, "chat"), events.text(0.5, "a")])
    assert stats.summary() == "first token 500 ms, 1 chunk"


def test_stats_of_a_replay_are_the_replays_own(tmp_path):
    """The recording took 100 s to its first token; played at --speed 0 it takes none:
    the figures are what happened in this run, the token count the recording's."""
    path = write_jsonl(
        tmp_path / "r.jsonl",
        [
            events.start(0.0, "chat"),
            events.text(100.0, "hi"),
            events.end(
                100.1, "stop", usage={"input_tokens": 1, "output_tokens": 4}, ttft_ms=100_000.0
            ),
        ],
    )
    result = run_cli("replay", "--speed", "0", "--stats", str(path))
    assert result.stdout == b"hi\n"
    summary = re.fullmatch(r"streamcli: first token (\d+) ms, 4 tokens.*\n", result.stderr.decode())
    assert summary is not None, result.stderr
    assert int(summary.group(1)) < 100_000
