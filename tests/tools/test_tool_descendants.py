"""Every process a tool starts ends with it, whatever it does to its session or process
group: `setsid`, a daemon's double fork; when the tool exits, at its timeout, and when
the chat is stopped. (Linux: the tool runs under a child subreaper.)"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import pytest
from proc_support import gone

from streamcli.tools.process import run_command

PY = sys.executable
DAEMON = (
    "import os, sys, time\n"
    "if os.fork() == 0:\n"
    "    os.setsid()\n"
    "    if os.fork() == 0:\n"
    "        open(sys.argv[1], 'w').write(str(os.getpid()))\n"
    "        time.sleep(300)\n"
    "    os._exit(0)\n"
    "os.wait()\n"
    "while not os.path.exists(sys.argv[1]): time.sleep(0.01)\n"
    "print('daemon started')\n"
)


def call(argv, timeout=30.0, stop=None):
    return run_command(
        argv, {}, timeout=timeout, environ=os.environ, stop=stop or threading.Event()
    )


pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")


def test_a_child_that_calls_setsid_ends_when_the_tool_exits(tmp_path):
    pid_file = tmp_path / "pid"
    # The child writes its pid once it has its own session; the tool waits for that.
    script = (
        f"setsid sh -c 'echo $$ > {pid_file}; exec sleep 300' </dev/null >/dev/null 2>&1 &"
        f" while [ ! -s {pid_file} ]; do sleep 0.01; done; echo ok"
    )
    outcome = call(["sh", "-c", script])
    assert outcome.ok and outcome.output == "ok\n"
    assert gone(int(pid_file.read_text()))


def test_a_double_forked_daemon_ends_when_the_tool_exits(tmp_path):
    pid_file = tmp_path / "pid"
    outcome = call([PY, "-c", DAEMON, str(pid_file)])
    assert outcome.ok and outcome.output == "daemon started\n"
    assert gone(int(pid_file.read_text()))


def test_a_setsid_child_ends_at_the_timeout():
    script = "setsid sleep 300 </dev/null >/dev/null 2>&1 & echo $!; sleep 300"
    outcome = call(["sh", "-c", script], timeout=3)
    assert outcome.output.startswith("timed out after 3 s")
    assert gone(int(outcome.output.split("partial output:\n")[1]))


def test_a_setsid_child_ends_when_the_chat_is_stopped(tmp_path):
    pid_file = tmp_path / "pid"
    stop = threading.Event()
    script = f"setsid sleep 300 </dev/null >/dev/null 2>&1 & echo $! > {pid_file}; sleep 300"
    threading.Thread(target=lambda: (_wait_for(pid_file), stop.set()), daemon=True).start()
    outcome = call(["sh", "-c", script], timeout=600, stop=stop)
    assert outcome.output.startswith("stopped")
    assert gone(int(pid_file.read_text()))


def _wait_for(path: Path) -> None:
    while not (path.exists() and path.read_text().strip()):
        time.sleep(0.02)


def test_a_one_second_timeout_returns_on_time():
    started = time.monotonic()
    outcome = call(["sh", "-c", "exec sleep 300"], timeout=1)
    assert outcome.output.startswith("timed out after 1 s")
    assert time.monotonic() - started < 2.5  # was 7 s: the reaper waited for ever


def test_a_stop_returns_at_once_and_the_reaper_is_gone(tmp_path):
    pid_file = tmp_path / "pid"
    stop, stopped = threading.Event(), []
    threading.Thread(
        target=lambda: (_wait_for(pid_file), stopped.append(time.monotonic()), stop.set()),
        daemon=True,
    ).start()
    outcome = call(["sh", "-c", f"echo $$ > {pid_file}; exec sleep 300"], timeout=600, stop=stop)
    assert outcome.output.startswith("stopped")
    assert time.monotonic() - stopped[0] < 1.5  # was 5 s: the reaper waited for ever
    assert gone(int(pid_file.read_text()))


def test_a_tool_that_kills_its_reaper_dies_with_what_it_started(tmp_path):
    from mcp_support import gone as all_gone
    from mcp_support import marker

    word = marker()
    script = (
        f"setsid sh -c 'sleep 300; : {word}' </dev/null >/dev/null 2>&1 &"
        " sleep 0.2; kill -KILL $PPID; exec sleep 300"
    )
    started = time.monotonic()
    outcome = call(["sh", "-c", script, word], timeout=60)
    assert not outcome.ok and time.monotonic() - started < 10
    assert all_gone(word, within=3)
