"""The live view in tmux, a terminal that re-wraps its lines when it gets narrower (as
VTE, kitty, iTerm2 and Windows Terminal do; pyte does not, so the pty tests cannot see
what a resize does there). The screen is read with `tmux capture-pane`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import write_jsonl

from streamcli import events

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")

WORDS = [f"w{i}" for i in range(1, 161)]  # each word once: a copy shows as a second one
ROOT = Path(__file__).resolve().parent.parent.parent


class Tmux:
    """A tmux server of its own, with one window running a command."""

    def __init__(self, socket: Path, command: list[str], columns: int, rows: int) -> None:
        self.base = ["tmux", "-S", str(socket), "-f", "/dev/null"]
        env = {"PYTHONPATH": str(ROOT), "PATH": os.environ["PATH"], "TERM": "xterm-256color"}
        shell = " ".join(command) + "; sleep 60"  # keep the pane to read it afterwards
        self.run("new-session", "-d", "-x", str(columns), "-y", str(rows), shell, env=env)
        self.run("set-option", "-g", "window-size", "manual")

    def run(self, *args: str, env: dict[str, str] | None = None) -> str:
        done = subprocess.run(
            [*self.base, *args], capture_output=True, text=True, timeout=30, env=env, check=True
        )
        return done.stdout

    def lines(self) -> list[str]:
        """The pane's logical lines (wrapped rows joined), scrollback included."""
        return self.run("capture-pane", "-p", "-J", "-S", "-").rstrip("\n").split("\n")

    def wait_for(self, word: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not any(word in line.split() for line in self.lines()):
            assert time.monotonic() < deadline, f"{word} never shown:\n" + "\n".join(self.lines())
            time.sleep(0.05)

    def close(self) -> None:
        subprocess.run([*self.base, "kill-server"], capture_output=True, timeout=30)


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[type[Tmux]]:
    servers: list[Tmux] = []

    def start(command: list[str], columns: int, rows: int) -> Tmux:
        server = Tmux(tmp_path / "tmux.sock", command, columns, rows)
        servers.append(server)
        return server

    yield start  # type: ignore[misc]
    for server in servers:
        server.close()


def test_narrowing_the_window_mid_stream_leaves_no_copy_of_a_line(tmp_path, tmux):
    items = [events.start(0.0, "chat")]
    items += [events.text(0.05 * i, word + " ") for i, word in enumerate(WORDS, start=1)]
    items.append(events.end(0.05 * len(WORDS) + 0.05, "stop"))
    recording = write_jsonl(tmp_path / "answer.jsonl", items)
    # Earlier output fills the screen: the live region is at its bottom, as usual. (When
    # the region is near the top, tmux keeps the cursor's row and pushes re-wrapped rows
    # into the scrollback, out of reach: those copies cannot be erased.)
    command = ["seq", "1", "40;", sys.executable, "-m", "streamcli", "replay", str(recording)]
    term = tmux(command, columns=100, rows=30)
    term.wait_for("w60")  # the paragraph wraps over a few rows of the live region
    term.run("resize-window", "-x", "50")
    term.wait_for("w90")
    term.run("resize-window", "-x", "40")
    term.wait_for(WORDS[-1])
    shown = " ".join(term.lines()).split()
    for word in WORDS:
        assert shown.count(word) == 1, (word, term.lines())
