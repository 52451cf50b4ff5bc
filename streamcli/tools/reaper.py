"""Runs one tool so that every process it starts ends with it (Linux), whatever the
processes do to their session or process group.

`process.run_command` (and the MCP hub, for a stdio server) starts ``python -I -S
reaper.py GRACE PARENT -- ARGV…`` (this file, run as a script: the standard library
only, nothing of streamcli's; PARENT is the pid of the process starting it). The
reaper makes itself a *child subreaper* (``prctl(PR_SET_CHILD_SUBREAPER)``): a process
the tool starts can leave the tool's session (``setsid``) or process group, but not
the reaper's subtree; an orphan is adopted by the reaper rather than by init. The reaper
forks and execs the tool (stdin, stdout and stderr are the tool's; its own copies go to
/dev/null), waits for it, and then ends every process left in its subtree (SIGKILL,
found through /proc), reaping them until it has no child left; only then does it exit,
with the tool's status (or by the tool's signal). SIGTERM (the timeout): SIGTERM to the
whole subtree, GRACE seconds, then SIGKILL. SIGUSR1 (the chat was stopped): SIGKILL at once.

Neither outlives what started it: the reaper asks for SIGUSR1 when its parent dies
(``prctl(PR_SET_PDEATHSIG)``; Linux sends it when the *thread* that started the reaper
ends, so the caller starts it from a thread that waits for it), and the tool for SIGKILL
when the reaper dies (a tool that kills its reaper dies with it; what the tool started
is then swept by the caller, see `process.sweep`).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import time

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
EXEC_FAILED = 127


def _prctl(option: int, value: int) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(option, value, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _die_with(parent: int, signum: int) -> bool:
    """Ask for `signum` when `parent` dies; False if it already has (the check after
    the prctl closes the race with a parent dying just before it)."""
    _prctl(PR_SET_PDEATHSIG, signum)
    return os.getppid() == parent


def _descendants(root: int) -> list[int]:
    """Every process below `root`, read from /proc (parents before children)."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as file:
                stat = file.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        if fields[0] == b"Z":
            continue  # a zombie: only waiting to be reaped
        children.setdefault(int(fields[1]), []).append(int(name))
    found, queue = [], [root]
    while queue:
        for child in children.get(queue.pop(), ()):
            found.append(child)
            queue.append(child)
    return found


def _signal_all(signum: int) -> int:
    me = os.getpid()
    targets = _descendants(me)
    for pid in targets:
        with contextlib.suppress(OSError):
            os.kill(pid, signum)
    return len(targets)


def _reap() -> list[tuple[int, int]]:
    """Collect the status of every child that has ended (without waiting)."""
    ended: list[tuple[int, int]] = []
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return ended
        if pid == 0:
            return ended
        ended.append((pid, status))


def _end_subtree(grace: float) -> list[tuple[int, int]]:
    """SIGTERM every descendant and give them `grace` seconds (SIGUSR1 cuts it short),
    then SIGKILL them, round after round, until none is left. Returns the statuses
    reaped on the way (the tool's among them: the caller needs it)."""
    ended: list[tuple[int, int]] = []
    if grace > 0:
        _signal_all(signal.SIGTERM)
        deadline = time.monotonic() + grace
        while (left := deadline - time.monotonic()) > 0:
            ended += _reap()
            if not _descendants(os.getpid()):
                break
            got = signal.sigtimedwait(_HANDLED, min(left, 0.05))
            if got is not None and got.si_signo == signal.SIGUSR1:
                break
    while True:
        _signal_all(signal.SIGKILL)
        ended += _reap()
        if not _descendants(os.getpid()):
            return ended + _reap()
        time.sleep(0.01)


_HANDLED = {signal.SIGCHLD, signal.SIGTERM, signal.SIGUSR1}


def main(argv: list[str]) -> None:
    grace, parent = float(argv[1]), int(argv[2])
    command = argv[4:]
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    signal.pthread_sigmask(signal.SIG_BLOCK, _HANDLED)  # taken with sigtimedwait
    if not _die_with(parent, signal.SIGUSR1):
        os._exit(EXEC_FAILED)  # whoever started it is gone already
    me = os.getpid()
    tool = os.fork()
    if tool == 0:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _HANDLED)
        if not _die_with(me, signal.SIGKILL):
            os._exit(EXEC_FAILED)
        try:
            os.execvp(command[0], command)
        except OSError as exc:
            os.write(2, f"cannot run {command[0]}: {exc.strerror or exc}\n".encode())
        os._exit(EXEC_FAILED)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # the output ends when the tool's processes close theirs
        os.dup2(null, fd)
    os.close(null)
    status = None
    ended = _reap()
    while True:
        status = next((code for pid, code in ended if pid == tool), status)
        if status is not None:
            break
        got = signal.sigtimedwait(_HANDLED, 1.0)
        ended = _reap()
        if got is not None and got.si_signo in (signal.SIGTERM, signal.SIGUSR1):
            ended += _end_subtree(grace if got.si_signo == signal.SIGTERM else 0)
    _end_subtree(0)
    _exit_as(status)


def _exit_as(status: int) -> None:
    """Exit with the tool's status, or die of the signal that killed it."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        if number != signal.SIGKILL:
            signal.signal(number, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {number})
        os.kill(os.getpid(), number)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


if __name__ == "__main__":
    main(sys.argv)
