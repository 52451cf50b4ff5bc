"""Running a user tool's command: arguments on stdin, the result on stdout, within limits.

The command is an argv list (no shell of ours) started in a session of its own, so its
whole process group can be killed: at the timeout (SIGTERM, then SIGKILL after a short
grace), when the chat is stopped, and when it exits but leaves children behind that hold
its output open. On Linux it runs under `reaper` (a child subreaper), which ends every
process the command started, even one that left the session or group (``setsid``),
before it exits itself; elsewhere the process group is all that is ended. The reaper dies
with streamcli (even of SIGKILL) and the tool with the reaper; should the reaper be
killed, what the tool started is found by a mark in its environment (`sweep`). Its environment
has no variable whose name holds KEY, SECRET, TOKEN, PASSWORD, PASSWD or CREDENTIAL. Its
output is read as it comes (stdout and stderr both, so neither can fill up and block it)
and only the head and tail are kept.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from streamcli.redact import names_a_secret
from streamcli.tools.output import DEFAULT_LIMIT, HeadTail

KILL_GRACE = 1.0  # seconds between SIGTERM and SIGKILL
LINGER = 0.5  # seconds the output may stay open after the command exited
POLL = 0.05
REAPER = Path(__file__).with_name("reaper.py")  # run as a script: the standard library only
REAPED = sys.platform.startswith("linux")  # the reaper needs PR_SET_CHILD_SUBREAPER
REAPER_MARGIN = 2.0  # seconds the reaper may take beyond the grace to end its subtree
MARK = "STREAMCLI_REAPED_BY"  # in the environment of what the reaper runs: see `sweep`


@dataclass(frozen=True)
class Outcome:
    """How a call went: `output` is what the model is told."""

    ok: bool
    output: str


class Children:
    """The process groups of the tools running now, so a stop can kill them at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._groups: set[int] = set()

    def add(self, group: int) -> None:
        with self._lock:
            self._groups.add(group)

    def discard(self, group: int) -> None:
        with self._lock:
            self._groups.discard(group)

    def kill(self) -> None:
        """Kill every running tool and what it started at once (from any thread)."""
        with self._lock:
            groups = list(self._groups)
        for group in groups:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                if REAPED:  # the reaper leads the group: it kills its whole subtree
                    os.kill(group, signal.SIGUSR1)
                else:
                    os.killpg(group, signal.SIGKILL)


def scrubbed(environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` without the variables whose names suggest a secret."""
    return {name: value for name, value in environ.items() if not names_a_secret(name)}


def reaped(argv: Sequence[str]) -> list[str]:
    """`argv` run under the reaper where there is one (Linux): every process it starts
    ends with it; elsewhere `argv` itself. Start it from a thread that waits for it: the
    reaper ends its subtree when that thread ends."""
    if not REAPED:
        return list(argv)
    parent = str(os.getpid())
    return [sys.executable, "-I", "-S", str(REAPER), str(KILL_GRACE), parent, "--", *argv]


def new_mark() -> str:
    """A value for `MARK` that names one run."""
    return f"{os.getpid()}-{uuid.uuid4().hex}"


def sweep(mark: str) -> int:
    """SIGKILL every process whose environment holds ``MARK=mark`` (Linux: read from
    /proc): what a tool started, when its reaper was killed before it could end them.
    A process that cleared its environment is not found. Returns how many were hit."""
    if not REAPED:
        return 0
    needle = f"{MARK}={mark}".encode() + b"\0"
    hit = 0
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as file:
                found = needle in file.read() + b"\0"
        except OSError:
            continue
        if found:
            with contextlib.suppress(OSError):
                os.kill(int(name), signal.SIGKILL)
                hit += 1
    return hit


def run_command(
    argv: Sequence[str],
    arguments: dict[str, Any],
    *,
    timeout: float,
    environ: Mapping[str, str],
    stop: threading.Event,
    limit: int = DEFAULT_LIMIT,
    children: Children | None = None,
) -> Outcome:
    """Run `argv` with `arguments` as JSON on stdin; its stdout is the result."""
    if REAPED and shutil.which(argv[0]) is None:
        # What Popen would have said: the reaper starts even when the command cannot.
        return Outcome(False, f"cannot run {argv[0]}: No such file or directory")
    mark = new_mark()
    try:
        process = subprocess.Popen(
            reaped(argv),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**scrubbed(environ), MARK: mark},
            start_new_session=True,
            close_fds=True,
        )
    except OSError as exc:
        return Outcome(False, f"cannot run {argv[0]}: {exc.strerror or exc}")
    if children is not None:
        children.add(process.pid)
    stdout, stderr = HeadTail(limit), HeadTail(limit)
    deadline = time.monotonic() + timeout
    ending = "stopped"
    try:
        ending = _communicate(process, orjson.dumps(arguments), stdout, stderr, deadline, stop)
    finally:
        _kill_group(process, grace=KILL_GRACE if ending == "timeout" else 0.0)
        if process.returncode is None or process.returncode < 0:
            sweep(mark)  # the reaper may have been killed before it ended its subtree
        if children is not None:
            children.discard(process.pid)
        for pipe in (process.stdin, process.stdout, process.stderr):
            with contextlib.suppress(OSError):
                pipe.close()  # type: ignore[union-attr]
    if ending == "stopped":
        return Outcome(False, "stopped: the chat was interrupted")
    if ending == "timeout":
        partial = stdout.text().strip()
        message = (
            f"timed out after {timeout:g} s (--tool-timeout); "
            "the tool and its child processes were killed"
        )
        return Outcome(False, f"{message}\npartial output:\n{partial}" if partial else message)
    status = process.returncode
    if status == 0:
        return Outcome(True, stdout.text())
    error = stderr.text().strip()
    if status is not None and status < 0:
        reason = f"killed by {_signal_name(-status)}"
    else:
        reason = f"exited with status {status}"
    return Outcome(False, f"{error}\n({reason})" if error else reason)


def _communicate(
    process: subprocess.Popen[bytes],
    payload: bytes,
    stdout: HeadTail,
    stderr: HeadTail,
    deadline: float,
    stop: threading.Event,
) -> str:
    """Feed stdin and read both outputs until the command is done: "exited", "timeout"
    or "stopped"."""
    assert process.stdin and process.stdout and process.stderr
    selector = selectors.DefaultSelector()
    sinks = {process.stdout.fileno(): stdout, process.stderr.fileno(): stderr}
    for fd in sinks:
        os.set_blocking(fd, False)
        selector.register(fd, selectors.EVENT_READ)
    stdin = process.stdin.fileno()
    os.set_blocking(stdin, False)
    selector.register(stdin, selectors.EVENT_WRITE)
    pending = memoryview(payload)
    exited_at: float | None = None
    with selector:
        while True:
            if stop.is_set():
                return "stopped"
            now = time.monotonic()
            if now >= deadline:
                return "timeout"
            if exited_at is None and process.poll() is not None:
                exited_at = now
            if not selector.get_map():  # the output is closed: wait for the exit itself
                if exited_at is not None:
                    return "exited"
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(min(POLL, deadline - now))
                continue
            if exited_at is not None and now - exited_at > LINGER:
                return "exited"  # children hold the output open: they are killed
            for key, _ in selector.select(min(POLL, deadline - now)):
                fd = key.fd
                if fd == stdin:
                    pending = _feed(selector, process, pending)
                    continue
                try:
                    data = os.read(fd, 65536)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if data:
                    sinks[fd].write(data)
                else:
                    selector.unregister(fd)


def _feed(
    selector: selectors.BaseSelector, process: subprocess.Popen[bytes], pending: memoryview
) -> memoryview:
    """Write what fits of the arguments; close stdin when all is written (or unwanted)."""
    assert process.stdin
    fd = process.stdin.fileno()
    try:
        written = os.write(fd, pending)
        pending = pending[written:]
    except BlockingIOError:
        return pending
    except OSError:  # the command closed its stdin without reading: its choice
        pending = pending[:0]
    if not pending:
        selector.unregister(fd)
        with contextlib.suppress(OSError):
            process.stdin.close()
    return pending


def _kill_group(process: subprocess.Popen[bytes], grace: float) -> None:
    """End the command and everything it started: under the reaper, SIGTERM (with
    `grace`, the reaper's own) or SIGUSR1 (at once) to the reaper, which ends its whole
    subtree before it exits; else SIGTERM to the process group, `grace`, then SIGKILL.
    The process group is SIGKILLed last either way."""
    group = process.pid  # its own session: the group's id is its pid
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if REAPED:
                os.kill(group, signal.SIGTERM if grace > 0 else signal.SIGUSR1)
            else:
                os.killpg(group, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(grace + REAPER_MARGIN if REAPED else grace)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGKILL)  # children that outlived it or ignored SIGTERM
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(5)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
