"""Run the real streamcli in a pseudo-terminal and read the screen as a person would.

    with PtyTerminal(["replay", "answer.jsonl", "--speed", "0"], columns=100, rows=30) as term:
        term.wait_exit()
        assert "## Usage" not in term.text()          # the heading was rendered
        assert term.exit_status == 0

Everything the program writes to the terminal is kept (`raw`) and fed into a pyte
`HistoryScreen`, so tests can look at the visible screen (`display`), the scrollback
(`history`), both together (`text`), and the cursor. `send_signal`, `resize` and
`write` act on the program the way a terminal and its user would: the pty is the
program's controlling terminal, so a resize sends it SIGWINCH.

Other engineers' pty tests can import this module (`from ptyterm import PtyTerminal`).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable, Mapping, Sequence

import pyte

STREAMCLI = [sys.executable, "-m", "streamcli"]


def _set_size(fd: int, columns: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))


def _terminal_env(extra: Mapping[str, str] | None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("FORCE_COLOR", "NO_COLOR", "COLUMNS", "LINES", "TTY_INTERACTIVE")
    }
    env["TERM"] = "xterm-256color"
    env.update(extra or {})
    return env


class PtyTerminal:
    """`streamcli ARGS` (or any `argv`) running in a pty of `columns` × `rows`."""

    def __init__(
        self,
        args: Sequence[str],
        *,
        columns: int = 80,
        rows: int = 24,
        env: Mapping[str, str] | None = None,
        argv: Sequence[str] | None = None,
        stdin: int | None = None,
        stderr_to_pty: bool = True,
        history: int = 100_000,
        cwd: str | None = None,
    ) -> None:
        self.columns = columns
        self.rows = rows
        self.screen = pyte.HistoryScreen(columns, rows, history=history, ratio=0.5)
        self.stream = pyte.ByteStream(self.screen)
        self.raw = bytearray()
        self.stderr = b""
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._eof = False
        master, slave = os.openpty()
        _set_size(slave, columns, rows)
        self._master = master
        command = list(argv) if argv is not None else [*STREAMCLI, *args]
        self.process = subprocess.Popen(
            command,
            stdin=stdin if stdin is not None else slave,
            stdout=slave,
            stderr=slave if stderr_to_pty else subprocess.PIPE,
            env=_terminal_env(env),
            start_new_session=True,
            preexec_fn=_make_controlling_terminal,
            cwd=cwd,
            close_fds=True,
        )
        os.close(slave)
        self._reader = threading.Thread(target=self._read, name="pty-reader", daemon=True)
        self._reader.start()
        self.exit_status: int | None = None

    # -- reading -------------------------------------------------------------

    def _read(self) -> None:
        while True:
            try:
                ready, _, _ = select.select([self._master], [], [], 0.2)
                if not ready:
                    if self.process.poll() is not None and not self._pending_input():
                        break
                    continue
                data = os.read(self._master, 65536)
            except OSError:  # EIO: the program closed its side of the pty
                break
            if not data:
                break
            with self._changed:
                self.raw.extend(data)
                self.stream.feed(data)
                self._changed.notify_all()
        with self._changed:
            self._eof = True
            self._changed.notify_all()

    def _pending_input(self) -> bool:
        ready, _, _ = select.select([self._master], [], [], 0)
        return bool(ready)

    def wait_for(
        self, condition: Callable[[PtyTerminal], bool], timeout: float = 30, what: str = ""
    ) -> None:
        """Wait until `condition(self)` holds (checked whenever output arrives)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"timed out waiting for {what or condition}; screen:\n{self._text()}"
                    )
                if self._eof:
                    raise AssertionError(
                        f"the program ended before {what or condition}; screen:\n{self._text()}"
                    )
                self._changed.wait(min(left, 0.2))

    def wait_for_text(self, needle: str, timeout: float = 30) -> None:
        """Wait until `needle` is on the screen or in the scrollback."""
        self.wait_for(lambda term: needle in term._text(), timeout, repr(needle))

    def wait_exit(self, timeout: float = 60) -> int:
        """Wait for the program to exit and for all its output to be read."""
        try:
            self.exit_status = self.process.wait(timeout)
        finally:
            self._reader.join(timeout)
        if self.process.stderr is not None:
            self.stderr = self.process.stderr.read()
        return self.exit_status

    # -- what a person sees --------------------------------------------------

    def display(self) -> list[str]:
        """The visible rows, right-trimmed."""
        with self._lock:
            return [row.rstrip() for row in self.screen.display]

    def history(self) -> list[str]:
        """The rows that scrolled off the top, oldest first, right-trimmed."""
        with self._lock:
            return self._history()

    def lines(self) -> list[str]:
        """Scrollback and screen together, without the empty rows at the bottom."""
        with self._lock:
            rows = self._history() + [row.rstrip() for row in self.screen.display]
        while rows and not rows[-1]:
            rows.pop()
        return rows

    def text(self) -> str:
        with self._lock:
            return self._text()

    def _history(self) -> list[str]:
        columns = self.screen.columns
        return [
            "".join(row[x].data for x in range(columns)).rstrip() for row in self.screen.history.top
        ]

    def _text(self) -> str:
        return "\n".join(self._history() + [row.rstrip() for row in self.screen.display])

    @property
    def cursor_hidden(self) -> bool:
        with self._lock:
            return bool(self.screen.cursor.hidden)

    def cell(self, row: int, column: int) -> pyte.screens.Char:
        with self._lock:
            return self.screen.buffer[row][column]

    # -- acting on the program -----------------------------------------------

    def send_signal(self, signum: int = signal.SIGINT) -> None:
        self.process.send_signal(signum)

    def interrupt(self) -> None:
        """Ctrl-C as the terminal sends it: SIGINT to the foreground process group."""
        os.killpg(self.process.pid, signal.SIGINT)

    def resize(self, columns: int, rows: int) -> None:
        """Change the terminal's size; the kernel sends SIGWINCH to the program."""
        with self._lock:
            self.columns, self.rows = columns, rows
            resize_screen(self.screen, columns, rows)
        _set_size(self._master, columns, rows)

    def write(self, data: bytes) -> None:
        """Type `data` into the terminal."""
        os.write(self._master, data)

    def close(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self._reader.join(5)
        with contextlib.suppress(OSError):
            os.close(self._master)
        if self.process.stderr is not None:
            self.process.stderr.close()

    def __enter__(self) -> PtyTerminal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def resize_screen(screen: pyte.Screen, columns: int, rows: int) -> None:
    """Resize a pyte screen the way xterm does.

    pyte drops rows from the top of a shorter screen and leaves the cursor where it was,
    which no terminal does: here the rows above the cursor's are pushed into the
    scrollback as far as needed to keep the cursor's row on screen (the cursor moves up
    with its row), and the rest is cut from the bottom. Columns are cut or added at the
    right, without reflowing (as xterm and pyte do).
    """
    if rows < screen.lines:
        drop = max(0, screen.cursor.y - (rows - 1))
        if drop:
            y = screen.cursor.y
            screen.cursor.y = screen.lines - 1
            for _ in range(drop):
                screen.index()  # scroll up: the top row goes into the history
            screen.cursor.y = y - drop
        for y in range(rows, screen.lines):
            screen.buffer.pop(y, None)
        screen.lines = rows  # so that pyte's resize does not drop rows from the top
    screen.resize(rows, columns)


def _make_controlling_terminal() -> None:
    """In the child, after setsid: make its stdout (the pty) the controlling terminal."""
    with contextlib.suppress(OSError):
        fcntl.ioctl(1, termios.TIOCSCTTY, 0)
