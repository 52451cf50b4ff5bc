"""Ctrl-Z during a live answer, under a real job-control shell in a pty: the shell gets the
terminal back as it was found (the cursor shown), and `fg` brings the live view back."""

from __future__ import annotations

import shlex
import sys

from conftest import write_jsonl
from ptyterm import PtyTerminal

from streamcli import events


def test_ctrl_z_shows_the_cursor_at_the_shell_and_fg_goes_on(tmp_path):
    text = "A long answer that keeps streaming while the user presses Ctrl-Z. " * 4
    items = [events.start(0.0, "chat", model="m")]
    items += [events.text(0.05 + i * 0.01, text[i : i + 3]) for i in range(0, len(text), 3)]
    items.insert(5, events.text(0.06, "\n\nsecond paragraph starts "))
    items.append(events.end(30.0, "stop"))  # the end arrives after a long pause
    path = write_jsonl(tmp_path / "rec.jsonl", sorted(items, key=lambda e: e["t"]))
    command = shlex.join([sys.executable, "-m", "streamcli", "replay", str(path)])
    argv = ["bash", "--norc", "--noprofile", "-i"]
    with PtyTerminal([], argv=argv, env={"PS1": "$ ", "HISTFILE": "/dev/null"}) as term:
        term.wait_for(lambda t: "$" in t.text(), what="the shell")
        term.write(command.encode() + b"\r")
        term.wait_for(lambda t: t.cursor_hidden and "Ctrl-Z" in t.text(), what="the live view")
        term.write(b"\x1a")  # Ctrl-Z: SIGTSTP to the foreground job
        term.wait_for(lambda t: "Stopped" in t.text(), what="the job stopped")
        term.wait_for(lambda t: t.display()[t.screen.cursor.y].startswith("$"), what="prompt")
        assert not term.cursor_hidden  # the shell's prompt with a visible cursor
        term.write(b"fg\r")
        term.wait_for(lambda t: t.cursor_hidden, what="the live view again")
        term.write(b"\x03")  # Ctrl-C ends the replay
        term.wait_for(lambda t: t.display()[t.screen.cursor.y].startswith("$"), what="prompt")
        assert not term.cursor_hidden
        assert "second paragraph starts" in term.text()
        term.write(b"exit\r")
        term.wait_exit()
