"""A hostile asciicast replayed in a real pty: nothing outside the allow-list reaches the
terminal (no title, clipboard, query or mouse mode), whatever the spelling."""

from __future__ import annotations

import re

from conftest import write_jsonl
from ptyterm import PtyTerminal

PAYLOADS = [
    "\x1b]052;c;Y3VybCBldmlsfHNo\x07",
    "\x1b]00;pwned\x07",
    "\x1b]5522;type=write;Y3VybA==\x1b\\",
    "\x1b]10;?\x07",
    "\x1b[c",
    "\x1b[6n",
    "\x1b[21t",
    "\x1bP$qm\x1b\\",
    "\x1b[?1000h",
    "\x9b6n",
]


def test_a_hostile_recording_reaches_the_terminal_without_escapes_off_the_allow_list(tmp_path):
    cast = [{"version": 2, "width": 80, "height": 24}]
    for i, payload in enumerate(PAYLOADS):
        # Each payload cut in two events, around a bit of real output.
        half = len(payload) // 2
        cast += [[i * 0.001, "o", f"{i}:" + payload[:half]], [i * 0.001, "o", payload[half:]]]
    cast.append([1.0, "o", "\x1b[1;32mdone\x1b[0m\r\n"])
    path = write_jsonl(tmp_path / "hostile.cast", cast)
    with PtyTerminal(["replay", "--speed", "0", str(path)]) as term:
        assert term.wait_exit() == 0
        raw = bytes(term.raw).decode("utf-8", "replace")
        assert "done" in term.text() and "0:1:2:3:4:5:6:7:8:9:" in term.text()
        assert term.screen.title == ""
    assert not re.search("\x1b[]P_^X]|[\x90\x98\x9b\x9d\x9e\x9f]", raw), repr(raw)
    assert not re.search(r"\x1b\[[0-9;]*[cnt]|\x1b\[\?1000h", raw), repr(raw)
