"""Running a user tool's command within its limits, on real processes (`tools.process`)."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import orjson

from streamcli.tools.process import run_command, scrubbed

PY = sys.executable


def run(code: str, arguments=None, *, timeout: float = 30, environ=None, limit: int = 65536):
    return run_command(
        [PY, "-c", code],
        arguments or {},
        timeout=timeout,
        environ=environ if environ is not None else os.environ,
        stop=threading.Event(),
        limit=limit,
    )


def test_arguments_arrive_on_stdin_and_stdout_is_the_result():
    outcome = run("import sys, json; print(json.load(sys.stdin)['n'] * 2)", {"n": 21})
    assert outcome.ok and outcome.output == "42\n"


def test_a_non_zero_exit_fails_with_stderr_as_the_error():
    outcome = run("import sys; print('out'); sys.stderr.write('bad city\\n'); sys.exit(3)")
    assert not outcome.ok
    assert outcome.output == "bad city\n(exited with status 3)"
    assert run("import sys; sys.exit(4)").output == "exited with status 4"


def test_a_missing_command_fails_cleanly():
    outcome = run_command(["/no/such/tool"], {}, timeout=5, environ={}, stop=threading.Event())
    assert not outcome.ok and outcome.output.startswith("cannot run /no/such/tool")


def test_output_is_capped_with_head_and_tail_while_it_streams():
    code = "import sys\nfor i in range(300000): sys.stdout.write('%06d\\n' % i)"
    outcome = run(code, limit=4096)
    assert outcome.ok
    assert outcome.output.startswith("000000\n") and outcome.output.endswith("299999\n")
    assert f"[{300_000 * 7 - 4096:,} bytes omitted]" in outcome.output


def test_the_environment_is_scrubbed_of_secrets():
    environ = {
        **os.environ,
        "OPENAI_API_KEY": "sk-1",
        "GITHUB_TOKEN": "t",
        "db_password": "p",
        "MY_SECRET_THING": "s",
        "AWS_SECRET_ACCESS_KEY": "a",
        "HARMLESS": "kept",
    }
    code = "import os, json; print(json.dumps(sorted(os.environ)))"
    names = orjson.loads(run(code, environ=environ).output)
    assert "HARMLESS" in names and "PATH" in names
    for name in ("OPENAI_API_KEY", "GITHUB_TOKEN", "db_password", "MY_SECRET_THING"):
        assert name not in names
    assert "AWS_SECRET_ACCESS_KEY" not in scrubbed(environ)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead: only its parent has not read its status
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def test_a_timeout_kills_the_tool_and_its_children(tmp_path):
    pids = tmp_path / "pids"
    code = (
        "import os, subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        f"open({str(pids)!r}, 'w').write(f'{{os.getpid()}} {{child.pid}}')\n"
        "time.sleep(600)\n"
    )
    started = time.monotonic()
    outcome = run(code, timeout=3)  # room for a slow start on a busy machine
    assert not outcome.ok and outcome.output.startswith("timed out after 3 s")
    assert time.monotonic() - started < 4.5  # SIGTERM ends it at once
    for pid in map(int, pids.read_text().split()):
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(pid), f"process {pid} survived"


def test_a_tool_that_ignores_sigterm_is_killed_too(tmp_path):
    code = (
        "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('started', flush=True)\ntime.sleep(600)"
    )
    started = time.monotonic()
    outcome = run(code, timeout=3)
    assert not outcome.ok and "partial output:\nstarted" in outcome.output
    assert time.monotonic() - started < 5.5  # 3 s, then 1 s of grace before SIGKILL


def test_children_left_behind_holding_the_output_do_not_hang_the_call(tmp_path):
    pid_file = tmp_path / "pid"
    code = (
        "import subprocess, sys\n"
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(p.pid))\n"
        "print('done')\n"
    )
    started = time.monotonic()
    outcome = run(code, timeout=60)
    assert outcome.ok and outcome.output == "done\n"
    assert time.monotonic() - started < 5  # the output lingers 0.5 s after the exit
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)


def test_stopping_kills_a_running_tool_at_once():
    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()
    started = time.monotonic()
    outcome = run_command(
        [PY, "-c", "import time; time.sleep(600)"], {}, timeout=600, environ=os.environ, stop=stop
    )
    assert not outcome.ok and outcome.output.startswith("stopped")
    assert time.monotonic() - started < 2.5


def test_a_tool_that_does_not_read_its_stdin_still_works():
    big = {"blob": "x" * 1_000_000}  # more than a pipe holds
    outcome = run("print('ignored the input')", big)
    assert outcome.ok and outcome.output == "ignored the input\n"


def test_a_tool_killed_by_a_signal_says_so():
    outcome = run(f"import os; os.kill(os.getpid(), {int(signal.SIGKILL)})")
    assert not outcome.ok and outcome.output == "killed by SIGKILL"
