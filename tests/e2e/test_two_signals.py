"""Two stop signals close together (`timeout -s INT` signals the process, then its group):
the second only hurries the orderly ending, so the stream still ends with its `end` event,
whole; a third exits at once (#26, item 12)."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import orjson
import pytest
from conftest import STREAMCLI, cli_env, write_jsonl

from streamcli import events

RUNS = 20


def _first_line(process: subprocess.Popen[bytes]) -> bytes:
    assert process.stdout is not None
    return process.stdout.readline()


def _signalled(args: list[str], gap: float, signals: int = 2) -> tuple[int, bytes, bytes, float]:
    """Start `streamcli ARGS`, wait for its first event, send SIGINT `signals` times
    `gap` seconds apart; its status, all of stdout, stderr, and seconds to exit."""
    process = subprocess.Popen(
        [*STREAMCLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env()
    )
    first = _first_line(process)
    time.sleep(0.2)  # running: past its start, waiting for more
    began = time.monotonic()
    for i in range(signals):
        if i:
            time.sleep(gap)
        os.kill(process.pid, signal.SIGINT)
    rest, stderr = process.communicate(timeout=30)
    return process.returncode, first + rest, stderr, time.monotonic() - began


def _ends_whole(stdout: bytes) -> dict:
    assert stdout.endswith(b"\n"), stdout[-200:]
    last = orjson.loads(stdout.splitlines()[-1])
    assert last["type"] == "end", stdout[-200:]
    return last


@pytest.fixture
def command(request, tmp_path) -> list[str]:
    if request.param == "tail":
        (tmp_path / "f.log").write_text("hello\n")
        return ["tail", "--json", str(tmp_path / "f.log")]
    slow = [events.start(0, "chat"), events.text(0.0, "kept"), events.end(600.0, "stop")]
    return ["replay", "--json", str(write_jsonl(tmp_path / "slow.jsonl", slow))]


@pytest.mark.parametrize("command", ["tail", "replay"], indirect=True)
def test_two_signals_close_together_keep_the_end_event(command):
    for run in range(RUNS):
        gap = (run % 10) * 0.02  # 0 to 180 ms: at once, and during the ending
        status, stdout, stderr, took = _signalled(command, gap)
        # 130, or killed by SIGINT when the second one lands as Python exits (after the
        # stream was written): the shell says 130 for both.
        assert status in (130, -signal.SIGINT), (run, gap, stderr)
        assert _ends_whole(stdout)["reason"] == "interrupted", (run, gap)
        assert b"Traceback" not in stderr
        assert took < 5, (run, gap, took)  # quickly: the second signal waits for nothing


def test_a_third_signal_exits_at_once(tmp_path):
    (tmp_path / "f.log").write_text("hello\n")
    status, _, stderr, took = _signalled(["tail", "--json", str(tmp_path / "f.log")], 0, 3)
    assert status in (130, -signal.SIGINT) and b"Traceback" not in stderr and took < 5
