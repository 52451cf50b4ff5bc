"""`streamcli bench` pipeline mode: real sinks into a real pty and pipes, consistent figures."""

from __future__ import annotations

import orjson
import pytest
from conftest import read_jsonl, run_cli

from streamcli.bench.pipeline_mode import run_sink
from streamcli.bench.report import sink_item
from streamcli.bench.synthetic import ChunkSizes, SyntheticConfig

FIELDS = {
    "sink",
    "chunks",
    "chunk_size",
    "bytes",
    "seconds",
    "chunks_per_s",
    "mb_per_s",
    "latency_ms",
    "frames",
    "writes",
    "cpu_s",
    "peak_rss_mb",
}


@pytest.mark.parametrize("kind", ["terminal", "text", "jsonl"])
@pytest.mark.parametrize("content", ["text", "markdown", "log"])
def test_every_chunk_is_written_and_the_figures_add_up(kind, content):
    config = SyntheticConfig(chunks=3000, sizes=ChunkSizes(16, 16), content=content, seed=3)
    run = run_sink(kind, config)
    assert run.status == 0
    assert run.chunks == 3000
    assert run.bytes == 3000 * 16
    assert len(run.latencies) == 3000
    assert min(run.latencies) >= 0
    assert 0 < run.writes <= run.frames  # at most one write per frame
    assert run.received_bytes > 0
    assert run.cpu_s > 0 and run.peak_rss_mb > 0
    assert run.chunks_per_s == pytest.approx(run.chunks / run.seconds)
    if kind != "terminal":  # a pipe carries exactly what the sink wrote
        assert run.received_bytes == run.output_bytes
    if kind == "text":  # plain text into a pipe: the chunks themselves, nothing else
        expected = 3000 * 16 + (3000 if content == "log" else 0)  # a newline per log line
        assert run.output_bytes == expected + (content != "log")  # + the final newline


def test_the_terminal_sink_is_the_one_users_get_on_a_terminal():
    run = run_sink("terminal", SyntheticConfig(chunks=50, sizes=ChunkSizes(4, 4)))
    assert run.target == "pty"
    assert run.sink_class == "TerminalSink"
    text = run_sink("text", SyntheticConfig(chunks=50, sizes=ChunkSizes(4, 4)))
    assert (text.target, text.sink_class) == ("pipe", "TextSink")


def test_a_rate_spreads_the_chunks_over_time():
    config = SyntheticConfig(chunks=40, sizes=ChunkSizes(8, 8), rate=400.0)
    run = run_sink("text", config)
    assert run.chunks == 40 and run.bytes == 320
    assert run.seconds >= 39 / 400  # the schedule cannot be beaten
    assert run.frames > 1  # chunks arriving over time take several frames
    item = sink_item(run)
    assert item["rate"] == 400.0


def test_json_output_one_object_per_sink():
    result = run_cli("bench", "--chunks", "500", "--chunk-size", "4-12", "--seed", "9", "--json")
    assert result.returncode == 0, result.stderr
    items = read_jsonl(result.stdout)
    assert [i["sink"] for i in items] == ["terminal", "text", "jsonl"]
    for item in items:
        assert item.keys() >= FIELDS
        assert item["type"] == "bench_sink"
        assert item["chunks"] == 500
        assert item["chunk_size"] == "4-12"
        assert 500 * 4 <= item["bytes"] <= 500 * 12
        assert {"p50", "p90", "p99", "max"} <= item["latency_ms"].keys()
        assert item["writes"] <= item["frames"]
    assert len({i["bytes"] for i in items}) == 1  # same seed, same chunks for every sink


def test_one_sink_shown_as_a_table(tmp_path):
    saved = tmp_path / "run.jsonl"
    result = run_cli(
        "bench", "--sink", "jsonl", "--chunks", "300", "--content", "log", "--save", str(saved)
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    assert "chunks/s" in out and "jsonl" in out and "terminal" not in out.split("\n")[3]
    assert "per-chunk latency" in out  # the histogram
    lines = read_jsonl(saved.read_bytes())
    assert lines[0]["type"] == "bench_run" and lines[0]["mode"] == "pipeline"
    assert [line["sink"] for line in lines[1:]] == ["jsonl"]


def test_compare_two_pipeline_runs(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    for path, size in ((a, "8"), (b, "64")):
        done = run_cli(
            "bench",
            "--sink",
            "text",
            "--chunks",
            "200",
            "--chunk-size",
            size,
            "--save",
            str(path),
            "--json",
        )
        assert done.returncode == 0, done.stderr
    result = run_cli("bench", "--compare", str(a), str(b))
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    assert "text chunks/s" in out and "a.jsonl" in out and "b.jsonl" in out
    as_json = run_cli("bench", "--compare", str(a), str(b), "--json")
    (item,) = read_jsonl(as_json.stdout)
    assert item["a"]["text"]["bytes"] == 200 * 8 and item["b"]["text"]["bytes"] == 200 * 64


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--chunk-size", "9-3"], "--chunk-size"),
        (["--requests", "5"], "--requests"),
        (["--compare", "/nonexistent/a.jsonl", "/nonexistent/b.jsonl"], "cannot read"),
    ],
)
def test_bad_input_is_one_line_and_status_2(args, message):
    result = (
        run_cli("bench", "--chunks", "10", *args)
        if "--compare" not in args
        else run_cli("bench", *args)
    )
    assert result.returncode == 2
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and message in lines[0]
    assert "Traceback" not in result.stderr.decode()


def test_bad_input_with_json_is_an_error_event():
    result = run_cli("bench", "--chunk-size", "0", "--json")
    assert result.returncode == 2
    (event,) = read_jsonl(result.stdout)
    assert event["type"] == "error" and "--chunk-size" in event["message"]
    assert orjson.loads(result.stdout)["kind"] == "bad_input"


def test_on_a_terminal_a_progress_bar_then_the_table():
    from ptyterm import PtyTerminal

    args = ["bench", "--sink", "text", "--chunks", "3000", "--rate", "3000"]
    with PtyTerminal(args, columns=110, rows=40) as term:
        assert term.wait_exit() == 0
        screen = term.text()
    assert b"\x1b[?25l" in term.raw  # the progress bar was drawn (cursor hidden meanwhile)
    assert not term.cursor_hidden  # ... and is gone
    assert "chunks/s" in screen and "per-chunk latency" in screen
    row = next(line for line in screen.splitlines() if line.startswith("│ text"))
    assert "3,0" in row or "2,9" in row  # about 3,000 chunks/s, the rate asked for


def test_into_a_pipe_the_table_is_whole_and_unpadded():
    result = run_cli("bench", "--chunks", "200", "--content", "log")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    assert lines and not [line for line in lines if line != line.rstrip()]
    assert "…" not in result.stdout.decode()  # no header or sink name cut short
    assert any("terminal" in line for line in lines)
