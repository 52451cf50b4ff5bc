"""`streamcli tail` following real files while they are appended, rotated and truncated.

Each test runs the real command as a subprocess (`--json`, so lines and notices arrive in
one ordered stream) and waits for conditions with generous timeouts; nothing is asserted
on timing. Most cases run twice: with the system's notifications (inotify on Linux,
kqueue on macOS), and with `--poll` at a short interval.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import STREAMCLI, cli_env

WAIT = 20.0  # seconds: generous, for a loaded 2-core machine

REPLACED = "! has been replaced; following the new file"
TRUNCATED = "! file truncated"
GONE = "! has become inaccessible: No such file or directory"
APPEARED = "! has appeared; following it"
DENIED = "! has become inaccessible: Permission denied"
MISSING_AT_START = "! cannot open for reading: No such file or directory"


class Running:
    """A process whose stdout and stderr are collected as they arrive."""

    def __init__(
        self, argv: Sequence[str], *, cwd: Path, stdin: int | None = subprocess.DEVNULL
    ) -> None:
        self.argv = list(argv)
        self.proc = subprocess.Popen(
            self.argv,
            cwd=cwd,
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=cli_env(),
        )
        self.stdout = b""
        self.stderr = b""
        self._changed = threading.Condition()
        self._readers = [
            threading.Thread(target=self._collect, args=(self.proc.stdout, "stdout"), daemon=True),
            threading.Thread(target=self._collect, args=(self.proc.stderr, "stderr"), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _collect(self, stream: Any, name: str) -> None:
        while chunk := stream.read1(1 << 16):
            with self._changed:
                setattr(self, name, getattr(self, name) + chunk)
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_until(self, condition: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
        with self._changed:
            if not self._changed.wait_for(condition, timeout):
                raise AssertionError(f"timed out waiting for {what}; got:\n{self.describe()}")

    def describe(self) -> str:
        return f"stdout: {self.stdout[-3000:]!r}\nstderr: {self.stderr[-3000:]!r}"

    def finish(self, sig: int | None = signal.SIGINT, timeout: float = WAIT) -> int:
        """Stop the process (with `sig`, or let it end) and return its exit status."""
        if sig is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            status = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        for reader in self._readers:
            reader.join(timeout)
        return status

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Tail(Running):
    """`streamcli tail --json ...`: the stream as a short summary, lines and `! notices`."""

    def __init__(self, *args: str, cwd: Path, mode: str = "notify", **kwargs: Any) -> None:
        options = ["--poll", "--poll-interval", "0.02"] if mode == "poll" else []
        super().__init__([*STREAMCLI, "tail", "--json", *options, *args], cwd=cwd, **kwargs)

    @property
    def events(self) -> list[dict[str, Any]]:
        complete = self.stdout[: self.stdout.rfind(b"\n") + 1]
        return [orjson.loads(line) for line in complete.splitlines()]

    def summary(self) -> list[str]:
        """Lines as their text, notices as ``! message``."""
        items = []
        for event in self.events:
            if event["type"] == "line":
                items.append(event["text"])
            elif event["type"] == "notice":
                items.append(f"! {event['message']}")
        return items

    def wait_for(self, *expected: str, timeout: float = WAIT) -> list[str]:
        """Wait until the summary is exactly `expected`... so far (more may follow)."""
        want = list(expected)
        self.wait_until(lambda: len(self.summary()) >= len(want), f"{want}", timeout)
        got = self.summary()
        assert got[: len(want)] == want, f"{got} != {want}\n{self.describe()}"
        return got

    def wait_event(self, predicate: Callable[[dict[str, Any]], bool], what: str) -> None:
        self.wait_until(lambda: any(predicate(e) for e in self.events), what)


@pytest.fixture
def running(request):
    """Collects started processes and kills the survivors after the test."""
    started: list[Running] = []
    yield started
    for process in started:
        process.kill()


@pytest.fixture(params=["notify", "poll"])
def mode(request) -> str:
    return request.param


def append(path: Path, data: bytes) -> None:
    with open(path, "ab") as file:
        file.write(data)


def start_tail(running: list[Running], tmp_path: Path, *args: str, **kwargs: Any) -> Tail:
    tail = Tail(*args, cwd=tmp_path, **kwargs)
    running.append(tail)
    return tail


# -- appends and partial lines ---------------------------------------------------------


def test_follows_appends(tmp_path, running, mode):
    log = tmp_path / "app.log"
    log.write_bytes(b"one\ntwo\n")
    tail = start_tail(running, tmp_path, "app.log", mode=mode)
    tail.wait_for("one", "two")
    append(log, b"three\n")
    tail.wait_for("one", "two", "three")
    append(log, b"four\nfive\n")
    tail.wait_for("one", "two", "three", "four", "five")
    assert tail.finish() == 130
    assert tail.events[0]["type"] == "start" and tail.events[0]["source"] == "tail"
    assert tail.events[-1] == {**tail.events[-1], "type": "end", "reason": "interrupted"}
    assert {e["file"] for e in tail.events if e["type"] == "line"} == {"app.log"}


def test_a_line_written_in_pieces_comes_out_whole(tmp_path, running, mode):
    log = tmp_path / "app.log"
    log.write_bytes(b"first\n")
    tail = start_tail(running, tmp_path, "app.log", mode=mode)
    tail.wait_for("first")
    with open(log, "ab", buffering=0) as writer:
        writer.write(b"hel")
        writer.write(b"lo wor")
        writer.write(b"ld\nnext\n")
    tail.wait_for("first", "hello world", "next")
    line = tail.events[2]
    assert "partial" not in line and "continued" not in line


def test_an_unfinished_line_is_shown_after_a_while_then_continued(tmp_path, running):
    log = tmp_path / "app.log"
    log.write_bytes(b"first\nwaiting for")
    tail = start_tail(running, tmp_path, "app.log")
    tail.wait_for("first", "waiting for")
    assert tail.events[2]["partial"] is True
    append(log, b" its end\nnext\n")
    tail.wait_for("first", "waiting for", " its end", "next")
    assert tail.events[3]["continued"] is True
    assert "partial" not in tail.events[3] and "continued" not in tail.events[4]


def test_an_append_right_after_start_is_not_lost(tmp_path, running, mode):
    # Appends race the first read and the setting up of the watches.
    log = tmp_path / "app.log"
    log.write_bytes(b"")
    tail = start_tail(running, tmp_path, "-n", "+1", "app.log", mode=mode)
    for i in range(50):
        append(log, b"line %d\n" % i)
    tail.wait_for(*[f"line {i}" for i in range(50)])


# -- truncation --------------------------------------------------------------------------


def test_truncation_restarts_at_the_top(tmp_path, running, mode):
    log = tmp_path / "app.log"
    log.write_bytes(b"a\nb\n")
    tail = start_tail(running, tmp_path, "app.log", mode=mode)
    tail.wait_for("a", "b")
    with open(log, "r+b") as file:
        file.truncate(0)
    append(log, b"c\n")
    tail.wait_for("a", "b", TRUNCATED, "c")
    append(log, b"d\n")
    assert tail.wait_for("a", "b", TRUNCATED, "c", "d") == ["a", "b", TRUNCATED, "c", "d"]


def test_truncation_that_regrew_past_the_offset_is_noticed(tmp_path, running):
    # Rewritten between two looks (polling once a second): the size alone says nothing.
    log = tmp_path / "app.log"
    log.write_bytes(b"old 1\nold 2\n")
    tail = start_tail(running, tmp_path, "app.log", mode="poll")
    tail.wait_for("old 1", "old 2")
    log.write_bytes(b"new 1\nnew 2\nnew 3\n")  # truncate and write more than before
    tail.wait_for("old 1", "old 2", TRUNCATED, "new 1", "new 2", "new 3")


def test_an_unfinished_line_is_kept_as_partial_on_truncation(tmp_path, running):
    log = tmp_path / "app.log"
    log.write_bytes(b"a\n")
    tail = start_tail(running, tmp_path, "app.log")
    tail.wait_for("a")
    with open(log, "ab", buffering=0) as writer:
        writer.write(b"unfinis")
        writer.truncate(0)
        writer.write(b"fresh\n")
    tail.wait_until(lambda: "fresh" in tail.summary(), "fresh")
    summary = tail.summary()
    # Whether "unfinis" was seen before the truncation depends on timing; if it was, it
    # comes out marked partial and nothing is glued to the fresh line.
    expected = (["a", TRUNCATED, "fresh"], ["a", "unfinis", TRUNCATED, "fresh"])
    assert summary in expected, tail.describe()  # the whole stream, if it ever fails
    if "unfinis" in summary:
        assert tail.events[2]["partial"] is True


def test_copytruncate(tmp_path, running, mode):
    log = tmp_path / "app.log"
    log.write_bytes(b"a\nb\n")
    tail = start_tail(running, tmp_path, "app.log", mode=mode)
    tail.wait_for("a", "b")
    with open(log, "ab", buffering=0) as writer:  # the writer keeps its descriptor
        shutil.copyfile(log, tmp_path / "app.log.1")
        os.truncate(log, 0)
        writer.write(b"c\n")
        tail.wait_for("a", "b", TRUNCATED, "c")
        writer.write(b"d\n")
        tail.wait_for("a", "b", TRUNCATED, "c", "d")


# -- rotation ----------------------------------------------------------------------------


def test_rename_and_recreate(tmp_path, running, mode):
    log = tmp_path / "app.log"
    log.write_bytes(b"a\n")
    tail = start_tail(running, tmp_path, "app.log", mode=mode)
    tail.wait_for("a")
    append(log, b"b\n")
    log.rename(tmp_path / "app.log.1")
    log.write_bytes(b"c\n")
    tail.wait_for("a", "b", REPLACED, "c")
    append(log, b"d\n")
    assert tail.wait_for("a", "b", REPLACED, "c", "d") == ["a", "b", REPLACED, "c", "d"]


def test_lines_written_to_the_old_file_after_a_rename_are_not_lost(tmp_path, running, mode):
    # What logrotate does before the daemon reopens its log; GNU tail -F loses "late".
    log = tmp_path / "app.log"
    with open(log, "ab", buffering=0) as daemon:
        daemon.write(b"a\n")
        tail = start_tail(running, tmp_path, "app.log", mode=mode)
        tail.wait_for("a")
        log.rename(tmp_path / "app.log.1")
        log.write_bytes(b"")
        tail.wait_for("a", REPLACED)
        daemon.write(b"late 1\n")  # the daemon still writes to the renamed file
        tail.wait_for("a", REPLACED, "late 1")
        daemon.write(b"late 2\n")
        tail.wait_for("a", REPLACED, "late 1", "late 2")
    append(log, b"new\n")  # reopened: the new file
    tail.wait_for("a", REPLACED, "late 1", "late 2", "new")


def test_the_old_file_is_drained_before_the_new_one(tmp_path, running, mode):
    log = tmp_path / "app.log"
    with open(log, "ab", buffering=0) as daemon:
        daemon.write(b"a\n")
        tail = start_tail(running, tmp_path, "app.log", mode=mode)
        tail.wait_for("a")
        log.rename(tmp_path / "app.log.1")
        daemon.write(b"b\n")  # after the rename, before the new file exists
        log.write_bytes(b"c\n")
    tail.wait_for("a", "b", REPLACED, "c")


def test_many_rotations(tmp_path, running):
    log = tmp_path / "app.log"
    log.write_bytes(b"0\n")
    tail = start_tail(running, tmp_path, "app.log")
    expected = ["0"]
    tail.wait_for(*expected)
    for i in range(1, 21):
        log.rename(tmp_path / f"app.log.{i}")
        log.write_bytes(b"%d\n" % i)
        expected += [REPLACED, str(i)]
        tail.wait_for(*expected)
    if sys.platform.startswith("linux"):
        # Watches are replaced, not piled up: the directory, the current file and the old
        # files still kept for their writers (at most `MAX_ROTATED`).
        watches = _inotify_watches(tail.proc.pid)
        assert 2 <= watches <= 2 + 8


def _inotify_watches(pid: int) -> int:
    count = 0
    for fd in os.listdir(f"/proc/{pid}/fdinfo"):
        with open(f"/proc/{pid}/fdinfo/{fd}") as info:
            count += sum(1 for line in info if line.startswith("inotify wd:"))
    return count


def test_symlink_retargeted(tmp_path, running, mode):
    (tmp_path / "v1.log").write_bytes(b"one\n")
    (tmp_path / "v2.log").write_bytes(b"two\n")
    link = tmp_path / "app.log"
    link.symlink_to("v1.log")
    tail = start_tail(running, tmp_path, "app.log", mode=mode)
    tail.wait_for("one")
    append(tmp_path / "v1.log", b"one more\n")
    tail.wait_for("one", "one more")
    (tmp_path / "tmp.link").symlink_to("v2.log")
    (tmp_path / "tmp.link").rename(link)  # ln -sfn, atomically
    tail.wait_for("one", "one more", REPLACED, "two")


# -- deletion, missing files -------------------------------------------------------------


def test_deleted_then_recreated_later(tmp_path, running, mode):
    log = tmp_path / "app.log"
    log.write_bytes(b"a\n")
    tail = start_tail(running, tmp_path, "app.log", mode=mode)
    tail.wait_for("a")
    log.unlink()
    tail.wait_for("a", GONE)
    log.write_bytes(b"b\n")
    tail.wait_for("a", GONE, APPEARED, "b")


def test_deleted_and_recreated_at_once(tmp_path, running, mode):
    log = tmp_path / "app.log"
    log.write_bytes(b"a\n")
    tail = start_tail(running, tmp_path, "app.log", mode=mode)
    tail.wait_for("a")
    log.unlink()
    log.write_bytes(b"b\n")
    tail.wait_for("a", REPLACED, "b")


def test_missing_file_is_waited_for(tmp_path, running, mode):
    tail = start_tail(running, tmp_path, "later.log", mode=mode)
    tail.wait_for(MISSING_AT_START)
    (tmp_path / "later.log").write_bytes(b"here\n")
    tail.wait_for(MISSING_AT_START, APPEARED, "here")
    append(tmp_path / "later.log", b"more\n")
    tail.wait_for(MISSING_AT_START, APPEARED, "here", "more")


def test_missing_directory_is_waited_for(tmp_path, running, mode):
    tail = start_tail(running, tmp_path, "logs/today/app.log", mode=mode)
    tail.wait_for(MISSING_AT_START)
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "today").mkdir()
    (tmp_path / "logs" / "today" / "app.log").write_bytes(b"here\n")
    tail.wait_for(MISSING_AT_START, APPEARED, "here")


def test_directory_removed_and_created_again(tmp_path, running, mode):
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "app.log").write_bytes(b"a\n")
    tail = start_tail(running, tmp_path, "logs/app.log", mode=mode)
    tail.wait_for("a")
    shutil.rmtree(logs)
    tail.wait_for("a", GONE)
    logs.mkdir()
    (logs / "app.log").write_bytes(b"b\n")
    tail.wait_for("a", GONE, APPEARED, "b")
    append(logs / "app.log", b"c\n")
    tail.wait_for("a", GONE, APPEARED, "b", "c")


# -- permissions -------------------------------------------------------------------------


def _reading_can_be_denied() -> list[str]:
    """A command prefix under which chmod denies reads (root reads anything otherwise)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: chmod cannot deny root's reads")
    caps = "-dac_override,-dac_read_search"
    return [setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}"]


def _start_denied_tail(running, tmp_path, *args: str) -> Tail:
    """A polling tail that file permissions apply to, even when the tests run as root."""
    tail = _PrefixedTail(_reading_can_be_denied(), *args, cwd=tmp_path)
    running.append(tail)
    return tail


class _PrefixedTail(Tail):
    def __init__(self, prefix: list[str], *args: str, cwd: Path) -> None:
        Running.__init__(
            self,
            [*prefix, *STREAMCLI, "tail", "--json", "--poll", "--poll-interval", "0.02", *args],
            cwd=cwd,
        )


def test_permission_removed_then_restored(tmp_path, running):
    log = tmp_path / "app.log"
    log.write_bytes(b"a\n")
    tail = _start_denied_tail(running, tmp_path, "app.log")
    tail.wait_for("a")
    log.chmod(0)
    tail.wait_for("a", DENIED)
    append(log, b"written while unreadable\n")
    log.chmod(0o644)
    tail.wait_for("a", DENIED, "! has become accessible again", "written while unreadable")


def test_unreadable_at_start_then_readable(tmp_path, running):
    log = tmp_path / "app.log"
    log.write_bytes(b"a\n")
    log.chmod(0)
    tail = _start_denied_tail(running, tmp_path, "app.log")
    tail.wait_for("! cannot open for reading: Permission denied")
    log.chmod(0o644)
    tail.wait_for(
        "! cannot open for reading: Permission denied", "! has become accessible; following it", "a"
    )


def test_rotated_to_an_unreadable_file(tmp_path, running):
    log = tmp_path / "app.log"
    log.write_bytes(b"a\n")
    tail = _start_denied_tail(running, tmp_path, "app.log")
    tail.wait_for("a")
    log.rename(tmp_path / "app.log.1")
    log.write_bytes(b"secret\n")
    log.chmod(0)
    tail.wait_for("a", DENIED)
    log.chmod(0o644)
    tail.wait_for("a", DENIED, "! has become accessible; following it", "secret")


# -- several files -----------------------------------------------------------------------


def test_two_files_each_line_says_where_it_came_from(tmp_path, running, mode):
    (tmp_path / "a.log").write_bytes(b"a1\n")
    (tmp_path / "b.log").write_bytes(b"b1\n")
    tail = start_tail(running, tmp_path, "a.log", "b.log", mode=mode)
    tail.wait_for("a1", "b1")
    append(tmp_path / "b.log", b"b2\n")
    tail.wait_for("a1", "b1", "b2")
    append(tmp_path / "a.log", b"a2\n")
    tail.wait_for("a1", "b1", "b2", "a2")
    files = [(e["text"], e["file"]) for e in tail.events if e["type"] == "line"]
    assert files == [("a1", "a.log"), ("b1", "b.log"), ("b2", "b.log"), ("a2", "a.log")]


# -- ending ------------------------------------------------------------------------------


def test_pid_ends_the_tail_after_a_last_read(tmp_path, running, mode):
    log = tmp_path / "app.log"
    log.write_bytes(b"a\n")
    script = "import sys; sys.stdin.read(); open('app.log', 'a').write('last\\n')"
    writer = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        stdin=subprocess.PIPE,
    )
    tail = start_tail(running, tmp_path, "--pid", str(writer.pid), "app.log", mode=mode)
    tail.wait_for("a")
    writer.stdin.close()  # the writer appends its last line and exits
    writer.wait()
    assert tail.finish(sig=None) == 0
    assert tail.summary() == ["a", "last"]
    assert tail.events[-1]["type"] == "end" and tail.events[-1]["reason"] == "eof"


def test_pid_of_a_process_already_gone(tmp_path, running):
    (tmp_path / "app.log").write_bytes(b"a\nb\n")
    gone = subprocess.Popen(["true"])
    gone.wait()
    tail = start_tail(running, tmp_path, "--pid", str(gone.pid), "app.log")
    assert tail.finish(sig=None) == 0
    assert tail.summary() == ["a", "b"]


def test_ctrl_c_flushes_and_exits_130(tmp_path, running):
    log = tmp_path / "app.log"
    log.write_bytes(b"".join(b"line %d\n" % i for i in range(1000)))
    tail = start_tail(running, tmp_path, "-n", "+1", "app.log")
    tail.wait_for(*[f"line {i}" for i in range(1000)])
    assert tail.finish(signal.SIGINT) == 130
    assert tail.events[-1]["type"] == "end" and tail.events[-1]["reason"] == "interrupted"
    assert b"Traceback" not in tail.stderr


def test_ctrl_c_keeps_an_unfinished_line(tmp_path, running):
    # Ctrl-C before the unfinished line would be shown: it is still written, as partial.
    log = tmp_path / "app.log"
    log.write_bytes(b"first\n")
    tail = start_tail(running, tmp_path, "app.log")
    tail.wait_for("first")
    append(log, b"no newline yet")
    assert tail.finish(signal.SIGINT) == 130
    assert tail.summary() == ["first", "no newline yet"]
    assert tail.events[-2]["partial"] is True and tail.events[-1]["reason"] == "interrupted"


def test_sigterm_exits_143(tmp_path, running):
    (tmp_path / "app.log").write_bytes(b"a\n")
    tail = start_tail(running, tmp_path, "app.log")
    tail.wait_for("a")
    assert tail.finish(signal.SIGTERM) == 143


def test_exits_when_the_reader_goes_away_while_idle(tmp_path):
    # Like `tail -f app.log | grep -q x`: nothing new is written, still the tail ends.
    (tmp_path / "app.log").write_bytes(b"a\n")
    proc = subprocess.Popen(
        [*STREAMCLI, "tail", "app.log"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(),
    )
    assert proc.stdout.readline() == b"a\n"
    proc.stdout.close()
    try:
        assert proc.wait(WAIT) == 0
    finally:
        proc.kill()
    assert proc.stderr.read() == b""


# -- plain text output -------------------------------------------------------------------


class TextTail(Running):
    def __init__(self, *args: str, cwd: Path) -> None:
        super().__init__([*STREAMCLI, "tail", *args], cwd=cwd)

    def wait_stdout(self, expected: bytes) -> None:
        self.wait_until(lambda: len(self.stdout) >= len(expected), repr(expected))
        assert self.stdout == expected, self.describe()


def test_plain_text_headers_and_notices(tmp_path, running):
    (tmp_path / "a.log").write_bytes(b"a1\n")
    (tmp_path / "b.log").write_bytes(b"b1\n")
    tail = TextTail("a.log", "b.log", cwd=tmp_path)
    running.append(tail)
    tail.wait_stdout(b"==> a.log <==\na1\n\n==> b.log <==\nb1\n")
    append(tmp_path / "b.log", b"b2\n")
    tail.wait_stdout(b"==> a.log <==\na1\n\n==> b.log <==\nb1\nb2\n")
    with open(tmp_path / "a.log", "r+b") as file:
        file.truncate(0)
    append(tmp_path / "a.log", b"a2\n")
    tail.wait_stdout(b"==> a.log <==\na1\n\n==> b.log <==\nb1\nb2\n\n==> a.log <==\na2\n")
    tail.wait_until(lambda: b"file truncated" in tail.stderr, "the notice")
    assert tail.stderr == b"streamcli: a.log: file truncated\n"
    assert tail.finish() == 130


def test_plain_text_prefix(tmp_path, running):
    (tmp_path / "a.log").write_bytes(b"a1\n")
    (tmp_path / "b.log").write_bytes(b"b1\n")
    tail = TextTail("--prefix", "a.log", "b.log", cwd=tmp_path)
    running.append(tail)
    tail.wait_stdout(b"a.log: a1\nb.log: b1\n")
    append(tmp_path / "a.log", b"a2\n")
    tail.wait_stdout(b"a.log: a1\nb.log: b1\na.log: a2\n")


# -- side by side with GNU tail -F ------------------------------------------------------

gnu_tail = pytest.mark.skipif(
    shutil.which("tail") is None
    or b"GNU" not in subprocess.run(["tail", "--version"], capture_output=True).stdout,
    reason="GNU tail is not installed",
)


def _rotate(log: Path) -> None:
    log.rename(log.with_name(log.name + ".1"))
    log.write_bytes(b"")


def _truncate(log: Path) -> None:
    os.truncate(log, 0)


def _copytruncate(log: Path) -> None:
    shutil.copyfile(log, log.with_name(log.name + ".1"))
    os.truncate(log, 0)


def _delete(log: Path) -> None:
    log.unlink()


# Each step: an operation on the file, then what must have come out (both tails) so far.
GNU_SCENARIOS = {
    "append": [(None, b"a\n"), (None, b"b\nc\n")],
    "partial line": [(None, b"par"), (None, b"tial\n")],
    "truncate": [(None, b"a\n"), (_truncate, b"b\n"), (None, b"c\n")],
    "rename and recreate": [(None, b"a\n"), (_rotate, b"b\n"), (None, b"c\n")],
    "copytruncate": [(None, b"a\n"), (_copytruncate, b"b\n")],
    "delete and recreate": [(None, b"a\n"), (_delete, b"b\n"), (None, b"c\n")],
}


@gnu_tail
@pytest.mark.parametrize("scenario", GNU_SCENARIOS)
def test_same_lines_as_gnu_tail(tmp_path, running, scenario):
    log = tmp_path / "app.log"
    log.write_bytes(b"start\n")
    gnu = Running(["tail", "-F", "-n", "+1", "app.log"], cwd=tmp_path)
    ours = TextTail("-n", "+1", "app.log", cwd=tmp_path)
    running += [gnu, ours]
    expected = b"start\n"
    _wait_both(gnu, ours, expected)
    for operation, data in GNU_SCENARIOS[scenario]:
        if operation is not None:
            operation(log)
        if operation is _delete:  # both said so before the file comes back
            for process in (gnu, ours):
                process.wait_until(lambda p=process: b"inaccessible" in p.stderr, "a notice")
        append(log, data)
        expected += data
        _wait_both(gnu, ours, expected)
    assert ours.finish(signal.SIGTERM) == 143


def _wait_both(gnu: Running, ours: Running, expected: bytes) -> None:
    """Both have written the complete lines of `expected`, and nothing else."""
    whole = _whole_lines(expected)
    for process in (gnu, ours):
        process.wait_until(
            lambda p=process: _whole_lines(p.stdout) == whole, f"{whole!r} from {process.argv}"
        )


def _whole_lines(data: bytes) -> bytes:
    return data[: data.rfind(b"\n") + 1]


@gnu_tail
def test_same_headers_as_gnu_tail_for_two_files(tmp_path, running):
    (tmp_path / "a.log").write_bytes(b"a1\n")
    (tmp_path / "b.log").write_bytes(b"b1\n")
    gnu = Running(["tail", "-F", "a.log", "b.log"], cwd=tmp_path)
    ours = TextTail("a.log", "b.log", cwd=tmp_path)
    running += [gnu, ours]
    expected = b"==> a.log <==\na1\n\n==> b.log <==\nb1\n"
    _wait_both(gnu, ours, expected)
    for name, data, header in [
        ("b.log", b"b2\n", b""),
        ("a.log", b"a2\n", b"\n==> a.log <==\n"),
        ("a.log", b"a3\n", b""),
        ("b.log", b"b3\n", b"\n==> b.log <==\n"),
    ]:
        append(tmp_path / name, data)
        expected += header + data
        _wait_both(gnu, ours, expected)
    assert ours.stdout == gnu.stdout
