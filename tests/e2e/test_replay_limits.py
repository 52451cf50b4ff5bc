"""replay with absurd timing: a gap of 9.2e9 s or more, or --speed 1e-300. No traceback;
the wait is clamped, and the stream still ends properly (here on Ctrl-C, with its `end`)."""

from __future__ import annotations

import signal
import subprocess

import orjson
import pytest
from conftest import STREAMCLI, cli_env, write_jsonl


@pytest.mark.parametrize(
    ("gap", "speed"), [(9.3e9, "1"), (1e300, "1"), (1.0, "1e-300")], ids=["9.3e9", "1e300", "slow"]
)
def test_an_absurd_wait_is_clamped_and_the_stream_ends_with_its_end_event(tmp_path, gap, speed):
    path = write_jsonl(
        tmp_path / "rec.jsonl",
        [
            {"type": "start", "t": 0, "v": 1, "source": "chat"},
            {"type": "text", "t": 0, "text": "first"},
            {"type": "text", "t": gap, "text": "never"},
            {"type": "end", "t": gap, "reason": "stop"},
        ],
    )
    process = subprocess.Popen(
        [*STREAMCLI, "replay", "--json", "--speed", speed, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(),
    )
    assert process.stdout is not None and process.stderr is not None
    lines = [process.stdout.readline(), process.stdout.readline()]
    assert orjson.loads(lines[1])["text"] == "first"
    process.send_signal(signal.SIGINT)  # it is waiting now: the wait is interruptible
    rest, stderr = process.communicate(timeout=30)
    assert b"Traceback" not in stderr and b"OverflowError" not in stderr, stderr
    assert process.returncode == 130
    last = orjson.loads(rest.splitlines()[-1])
    assert last["type"] == "end" and last["reason"] == "interrupted"
