"""Output into pipes, end to end: a flood in few writes, nothing lost, `| head` quiet.

The real command runs as a subprocess writing into a real pipe. Writes are counted by the
kernel (`/proc/PID/io`, `syscw`: every write system call of the process), not timed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
import pytest
from conftest import STREAMCLI, cli_env

WAIT = 60.0  # seconds: generous, for a loaded 2-core machine
FLOOD = 200_000


def log_line(i: int) -> bytes:
    return b"2026-11-21T07:00:00Z INFO flood seq=%d payload=abcdefghijklmnopqrstuvwxyz\n" % i


def write_calls(pid: int) -> int:
    """The write system calls process `pid` has made so far."""
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("syscw:"):
            return int(line.split()[1])
    raise AssertionError("no syscw in /proc/PID/io")


class Follower:
    """`streamcli tail -n 0 [--json] FILE` with its stdout read into lines by a thread."""

    def __init__(self, log: Path, *options: str) -> None:
        self.proc = subprocess.Popen(
            [*STREAMCLI, "tail", "-n", "0", *options, str(log)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=cli_env(),
        )
        self.lines: list[bytes] = []
        self.changed = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        held = b""
        fd = self.proc.stdout.fileno()
        while chunk := os.read(fd, 1 << 16):
            *lines, held = (held + chunk).split(b"\n")
            with self.changed:
                self.lines.extend(lines)
                self.changed.notify_all()

    def wait_for_lines(self, count: int) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: len(self.lines) >= count, WAIT)

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


def following(follower: Follower, log: Path) -> None:
    """Append `ready` lines until one comes out, then forget them."""
    deadline = time.monotonic() + WAIT
    while not follower.lines:
        assert time.monotonic() < deadline, "the follower did not start"
        with open(log, "ab") as file:
            file.write(b"ready\n")
        with follower.changed:
            follower.changed.wait(0.2)
    time.sleep(0.2)  # the other ready lines come out too
    with follower.changed:
        follower.lines.clear()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's /proc/PID/io")
@pytest.mark.parametrize("options", [(), ("--json",)], ids=["text", "json"])
def test_a_flood_appended_at_once_reaches_the_pipe_in_few_writes(tmp_path, options):
    log = tmp_path / "flood.log"
    log.write_bytes(b"")
    follower = Follower(log, *options)
    try:
        following(follower, log)
        before = write_calls(follower.proc.pid)
        with open(log, "ab") as file:
            file.write(b"".join(log_line(i) for i in range(FLOOD)))
        assert follower.wait_for_lines(FLOOD)
        writes = write_calls(follower.proc.pid) - before
    finally:
        follower.stop()
    if options:
        texts = [orjson.loads(line)["text"].encode() + b"\n" for line in follower.lines]
    else:
        texts = [line + b"\n" for line in follower.lines]
    assert texts == [log_line(i) for i in range(FLOOD)]  # nothing lost, in order
    assert writes <= 2000  # coalesced: 200,000 lines, at most one write per 100


@pytest.mark.parametrize("options", [(), ("--json",)], ids=["text", "json"])
def test_lines_appended_one_by_one_come_out_one_by_one(tmp_path, options):
    """Each line is written as it is read, none held for a later one."""
    log = tmp_path / "app.log"
    log.write_bytes(b"")
    follower = Follower(log, *options)
    try:
        following(follower, log)
        with open(log, "ab", buffering=0) as writer:
            for i in range(20):
                writer.write(log_line(i))
                assert follower.wait_for_lines(i + 1)  # out before the next is appended
    finally:
        follower.stop()
    assert len(follower.lines) == 20


def test_a_slow_reader_loses_nothing(tmp_path):
    """The pipe fills while nobody reads it; every line still comes out, in order."""
    log = tmp_path / "app.log"
    log.write_bytes(b"".join(log_line(i) for i in range(50_000)))
    proc = subprocess.Popen(
        [*STREAMCLI, "tail", "--no-follow", "-n", "+1", str(log)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(),
    )
    time.sleep(1.0)  # let the pipe fill (any pause does; the result cannot depend on it)
    out, err = proc.communicate(timeout=WAIT)
    assert proc.returncode == 0 and err == b""
    assert out == log.read_bytes()


@pytest.mark.parametrize("options", [(), ("--json",)], ids=["text", "json"])
def test_head_ends_a_follower_quietly(tmp_path, options):
    log = tmp_path / "app.log"
    log.write_bytes(log_line(0) + log_line(1))
    command = " ".join([*STREAMCLI, "tail", "-n", "+1", *options, str(log)])
    proc = subprocess.Popen(
        ["bash", "-c", f"set -o pipefail; {command} | head -n 3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(),
    )
    deadline = time.monotonic() + WAIT
    i = 2
    with open(log, "ab", buffering=0) as writer:
        while proc.poll() is None:  # head leaves after three lines; the next write ends tail
            assert time.monotonic() < deadline, "tail went on after head left"
            writer.write(log_line(i))
            i += 1
            time.sleep(0.05)
    out, err = proc.communicate(timeout=WAIT)
    assert proc.returncode == 0 and err == b""
    lines = out.splitlines()
    assert len(lines) == 3
    if not options:
        assert out == log_line(0) + log_line(1) + log_line(2)
