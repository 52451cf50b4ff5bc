"""No process of a user tool outlives the chat, however the chat ends: the timeout fires
on time, and after Ctrl-C, SIGTERM, SIGHUP or even SIGKILL of streamcli, neither the
tool, nor what it started in a session of its own, nor its reaper is left. (Linux: the
tool runs under a child subreaper that dies with streamcli.)"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from chat_support import chat_env
from conftest import STREAMCLI
from mcp_support import gone, marker, processes_with
from servers import FakeServer
from servers import openai as oa
from tool_protocols import OPENAI

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


@pytest.fixture
def server():
    with FakeServer() as server:
        yield server


def tools_file(home: Path, word: str) -> None:
    """A tool `hang` whose command line holds `word`: it starts a sleeper in a session of
    its own (`word` on its command line too), says so on a file, then sleeps."""
    started = home / "started"
    script = (
        f"setsid sh -c 'sleep 300; : {word}' </dev/null >/dev/null 2>&1 &"
        f" echo ok > {started}; sleep 300"
    )
    (home / "streamcli").mkdir(exist_ok=True)
    command = orjson.dumps(["sh", "-c", script, word]).decode()
    (home / "streamcli" / "tools.toml").write_text(
        f'[hang]\ndescription = "hangs"\ncommand = {command}\n'
    )


def start_chat(server: FakeServer, home: Path, *args: str) -> subprocess.Popen[bytes]:
    server.script(oa.PATH, oa.tool_calls([("c", "hang", {})]), oa.stream(["done"]))
    return subprocess.Popen(
        [*STREAMCLI, "chat", "go", "-m", "m", *OPENAI.args(server), "-T", "hang",
         "--approve", "--json", *args],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=chat_env(home, **OPENAI.env),
    )  # fmt: skip


def wait_started(process: subprocess.Popen[bytes], home: Path, word: str) -> None:
    deadline = time.monotonic() + 30
    while not (home / "started").exists() or len(processes_with(word)) < 3:
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)


def test_a_one_second_tool_timeout_is_reported_within_two_and_a_half(server, tmp_path):
    word = marker()
    tools_file(tmp_path, word)
    process = start_chat(server, tmp_path, "--tool-timeout", "1")
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    (end,) = [e for e in map(orjson.loads, out.splitlines()) if e["type"] == "tool_end"]
    assert end["output"].startswith("timed out after 1 s")
    assert end["duration_ms"] < 2500  # was 7,000: the reaper never exited by itself
    assert gone(word, within=2)


@pytest.mark.parametrize(
    "signum, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)]
)
def test_a_signal_during_a_tool_leaves_no_process_behind(server, tmp_path, signum, status):
    word = marker()
    tools_file(tmp_path, word)
    process = start_chat(server, tmp_path)
    wait_started(process, tmp_path, word)
    process.send_signal(signum)
    _, err = process.communicate(timeout=30)
    assert process.returncode == status, err
    assert gone(word, within=3), f"left behind: {processes_with(word)}"


def test_sigkill_of_streamcli_during_a_tool_leaves_no_process_behind(server, tmp_path):
    word = marker()
    tools_file(tmp_path, word)
    process = start_chat(server, tmp_path)
    wait_started(process, tmp_path, word)
    process.kill()
    process.communicate(timeout=30)
    assert gone(word, within=3), f"left behind: {processes_with(word)}"
