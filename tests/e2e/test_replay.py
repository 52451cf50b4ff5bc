"""`streamcli replay` end to end, as a subprocess with real pipes and signals."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import orjson
import pytest
from conftest import STREAMCLI, cli_env, read_jsonl, run_cli, write_jsonl

from streamcli import events

STREAM = [
    events.start(0.0, "chat", provider="ollama", model="m"),
    events.text(0.01, "Hello"),
    events.reasoning(0.015, "thinking"),
    events.text(0.02, ", wörld 🦀\n"),
    {"type": "future_kind", "t": 0.025, "x": 1},
    events.tool_start(0.03, "c1", "time", {}),
    events.tool_end(0.04, "c1", "time", True, "12:00", 1.0),
    events.text(0.05, "Done\x1b]52;c;eA==\x07."),
    events.end(0.06, "stop", usage={"input_tokens": 3, "output_tokens": 5}),
]


def test_json_reemits_the_events_unchanged(recording):
    path = recording(STREAM)
    result = run_cli("replay", "--speed", "0", "--json", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout == path.read_bytes()
    assert result.stderr == b""


def test_text_output_into_a_pipe_is_the_answer_exactly(recording):
    result = run_cli("replay", "--speed", "0", str(recording(STREAM)))
    assert result.returncode == 0
    assert result.stdout == "Hello, wörld 🦀\nDone\x1b]52;c;eA==\x07.\n".encode()
    assert result.stderr.decode().splitlines() == ["thinking", "→ time {}", "✓ time (1 ms)"]


def test_recorded_timing_is_kept(recording):
    path = recording(
        [
            events.start(0, "chat"),
            events.text(0.0, "a"),
            events.text(0.6, "b"),
            events.end(0.6, "stop"),
        ]
    )
    started = time.monotonic()
    assert run_cli("replay", str(path)).stdout == b"ab\n"
    assert time.monotonic() - started >= 0.6  # the recorded pause was waited for


def test_stdin_and_record(tmp_path):
    data = b"".join(events.encode(e) for e in STREAM)
    record = tmp_path / "copy.jsonl"
    result = run_cli("replay", "--speed", "0", "--record", str(record), "-", input=data)
    assert result.returncode == 0
    assert record.read_bytes() == data
    assert result.stdout.startswith(b"Hello")


def test_malformed_line_stops_with_exit_2_after_playing_what_came_before(recording, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(
        events.encode(STREAM[0])
        + events.encode(STREAM[1])
        + b'{"type": "text",\n'
        + events.encode(STREAM[3])
    )
    result = run_cli("replay", "--speed", "0", str(path))
    assert result.returncode == 2
    assert result.stdout == b"Hello\n"
    assert result.stderr.decode() == (
        f"streamcli: error: {path}: line 3: not valid JSON (unexpected end of data at column 17)"
        " (--lenient skips bad lines)\n"
    )
    result = run_cli("replay", "--speed", "0", "--json", str(path))
    assert result.returncode == 2
    out = read_jsonl(result.stdout)
    assert [e["type"] for e in out] == ["start", "text", "error", "end"]
    assert "line 3" in out[2]["message"] and out[3]["reason"] == "error"
    assert b"Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1


def test_invalid_event_names_the_field(tmp_path):
    path = write_jsonl(tmp_path / "r.jsonl", [STREAM[0], {"type": "text", "t": 0.1}])
    result = run_cli("replay", str(path))
    assert result.returncode == 2
    assert b'line 2: text event: "text" must be a string' in result.stderr


def test_lenient_skips_bad_lines_with_a_notice(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_bytes(events.encode(STREAM[1]) + b"garbage\n\n" + events.encode(STREAM[3]))
    result = run_cli("replay", "--speed", "0", "--lenient", "--format", "events", str(path))
    assert result.returncode == 0
    assert result.stdout == "Hello, wörld 🦀\n".encode()
    assert "line 2 skipped: not valid JSON" in result.stderr.decode()


@pytest.mark.parametrize(
    ("header", "why"),
    [
        ('{"version": 2}', "an asciicast v2 header without its width"),
        ('{"version": 3}', "an asciicast v3 header without its term object"),
        ('{"version": 1, "width": 80}', "an asciicast header of version 1: only versions 2"),
        ('{"version": "2", "width": 80}', 'an asciicast header of version "2": only'),
    ],
)
def test_an_asciicast_header_it_cannot_play_is_named(tmp_path, header, why):
    path = tmp_path / "h.cast"
    path.write_text(header + '\n[0.1, "o", "hi"]\n')
    for lenient in ([], ["--lenient"]):  # a header is not a line to skip
        result = run_cli("replay", "--speed", "0", *lenient, str(path))
        assert result.returncode == 2
        assert f"h.cast: line 1: {why}".encode() in result.stderr, result.stderr


def test_a_recording_cut_short_ends_with_a_notice_and_its_end(tmp_path):
    """Its writer was killed: no `end` in the file. The stream still ends, and says why."""
    path = write_jsonl(tmp_path / "cut.jsonl", [e for e in STREAM if e["type"] != "end"])
    result = run_cli("replay", "--speed", "0", "--json", str(path))
    assert result.returncode == 0, result.stderr
    said = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert said[:-2] == [e for e in STREAM if e["type"] != "end"]
    assert said[-2]["type"] == "notice" and "was cut short" in said[-2]["message"]
    assert said[-1]["type"] == "end" and said[-1]["reason"] == "eof"
    assert said[-1]["t"] >= said[-3]["t"]
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    result = run_cli("replay", "--speed", "0", "--json", "--format", "events", str(empty))
    assert [orjson.loads(line)["type"] for line in result.stdout.splitlines()] == [
        "start", "notice", "end"]  # fmt: skip


@pytest.mark.parametrize("args", [["/no/such/file.jsonl"], ["/"]])
def test_missing_or_unreadable_file_is_exit_2_with_one_line(args):
    result = run_cli("replay", *args)
    assert result.returncode == 2
    assert result.stdout == b""
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("streamcli: error: cannot ")


def test_plain_text_plays_as_a_typing_stream(tmp_path):
    path = tmp_path / "story.txt"
    path.write_text("Once upon a time, é 日本.\nThe end.")
    result = run_cli("replay", "--chunk-size", "4", "--delay", "1", "--json", str(path))
    out = read_jsonl(result.stdout)
    texts = [e["text"] for e in out if e["type"] == "text"]
    assert "".join(texts) == "Once upon a time, é 日本.\nThe end."
    assert all(len(t) == 4 for t in texts[:-1])
    assert [e["t"] for e in out if e["type"] == "text"][:3] == [0.0, 0.001, 0.002]
    assert out[0]["source"] == "replay" and out[-1]["reason"] == "eof"


CAST_V2 = [
    {"version": 2, "width": 80, "height": 24, "idle_time_limit": 0.05},
    [0.0, "o", "\x1b]0;title\x07$ "],
    [0.01, "i", "ls\r"],
    [0.02, "o", "ls\r\n"],
    [5.0, "m", "marker"],
    [5.1, "o", "\x1b]52;c;Y3VybA==\x07file.txt\r\n"],
]


def test_asciicast_v2_plays_output_without_clipboard_or_title(tmp_path):
    path = write_jsonl(tmp_path / "demo.cast", CAST_V2)
    started = time.monotonic()
    result = run_cli("replay", str(path))
    assert time.monotonic() - started < 5  # the header's idle limit caps the 5 s pause
    assert result.returncode == 0
    assert result.stdout == b"$ ls\r\nfile.txt\r\n"
    result = run_cli("replay", "--unsafe", "--speed", "0", str(path))
    assert result.stdout == b"\x1b]0;title\x07$ ls\r\n\x1b]52;c;Y3VybA==\x07file.txt\r\n"


def test_asciicast_v3_intervals_comments_and_exit_status(tmp_path):
    path = tmp_path / "v3.cast"
    path.write_text(
        '{"version": 3, "term": {"cols": 100, "rows": 30}}\n'
        "# a comment\n\n"
        '[0.5, "o", "a"]\n[0.25, "o", "b"]\n[0.25, "r", "90x20"]\n[0.1, "x", "3"]\n'
    )
    out = read_jsonl(run_cli("replay", "--json", "--speed", "0", str(path)).stdout)
    assert out[0]["format"] == "asciicast-v3" and out[0]["width"] == 100
    assert [(e["t"], e["text"]) for e in out if e["type"] == "text"] == [(0.5, "a"), (0.75, "b")]
    assert out[-1] == {"type": "end", "t": 1.1, "reason": "eof", "exit_status": 3}


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ('[-1.0, "o", "x"]', "time must be a number >= 0"),
        ('["2.0", "o", "x"]', "time must be a number >= 0"),
        ('[1.0, 5, "x"]', "code must be a string"),
        ('[1.0, "o", true]', "data must be a string"),
        ('[1.0, "o", "x", 4]', "must be an array [time, code, data]"),
        ("lol!", "not valid JSON"),
    ],
)
def test_asciicast_bad_events_are_named(tmp_path, line, why):
    path = tmp_path / "bad.cast"
    path.write_text('{"version": 2, "width": 80, "height": 24}\n[0.1, "o", "ok"]\n' + line + "\n")
    result = run_cli("replay", "--speed", "0", str(path))
    assert result.returncode == 2
    assert result.stdout == b"ok"
    assert "line 3: " in result.stderr.decode() and why in result.stderr.decode()


def _slow_recording(path: Path) -> Path:
    return write_jsonl(
        path,
        [
            events.start(0, "chat"),
            events.text(0.0, "kept "),
            events.text(0.05, "too"),
            events.text(600.0, "never"),
            events.end(600.0, "stop"),
        ],
    )


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signals_flush_what_arrived_and_end_the_stream(tmp_path, signum, status):
    path = _slow_recording(tmp_path / "slow.jsonl")
    process = subprocess.Popen(
        [*STREAMCLI, "replay", "--json", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(),
    )
    received = b""
    while received.count(b"\n") < 3:  # start, "kept ", "too" have been played
        received += os.read(process.stdout.fileno(), 65536)
    process.send_signal(signum)
    rest, stderr = process.communicate(timeout=30)
    assert process.returncode == status
    out = read_jsonl(received + rest)
    assert [e.get("text") for e in out if e["type"] == "text"] == ["kept ", "too"]
    assert out[-1]["type"] == "end" and out[-1]["reason"] == "interrupted"
    assert b"Traceback" not in stderr


def test_reader_gone_ends_quietly(tmp_path):
    path = write_jsonl(
        tmp_path / "big.jsonl", [events.text(0, f"line {i}\n") for i in range(200_000)]
    )
    result = subprocess.run(
        [
            "bash",
            "-c",
            'set -o pipefail; "$@" | head -n 2',
            "sh",
            *STREAMCLI,
            "replay",
            "--speed",
            "0",
            str(path),
        ],
        capture_output=True,
        timeout=60,
        env=cli_env(),
    )
    assert result.stdout == b"line 0\nline 1\n"
    assert result.stderr == b""
    assert result.returncode == 0


def test_json_reader_gone_mid_stream_keeps_the_recording(tmp_path):
    path = write_jsonl(tmp_path / "big.jsonl", [events.text(0, "x" * 100)] * 100_000)
    record = tmp_path / "rec.jsonl"
    result = subprocess.run(
        [
            "bash",
            "-c",
            '"$@" | head -c 10 >/dev/null',
            "sh",
            *STREAMCLI,
            "replay",
            "--speed",
            "0",
            "--json",
            "--record",
            str(record),
            str(path),
        ],
        capture_output=True,
        timeout=60,
        env=cli_env(),
    )
    assert result.stderr == b""
    lines = record.read_bytes().splitlines()
    assert all(orjson.loads(line) for line in lines)  # only complete lines
    assert orjson.loads(lines[-1])["type"] == "end"


def test_a_recording_that_cannot_be_written_does_not_stop_the_stream(recording):
    result = run_cli("replay", "--speed", "0", "--record", "/dev/full", str(recording(STREAM)))
    assert result.returncode == 1  # the stream went on; the run failed (#12 item 12)
    assert result.stdout.startswith(b"Hello")
    assert "cannot write the recording" in result.stderr.decode()
    assert b"Traceback" not in result.stderr
