"""Invisible and direction-changing characters in a stream never reach a real terminal raw:
in the live view, with --plain, and with --json on a terminal."""

from __future__ import annotations

import orjson
import pytest
from conftest import write_jsonl
from ptyterm import PtyTerminal

HIDDEN = "\u2061\u2062\u2063\u2064\u00ad\u180e\u200d\ufe01\U000e0100\u2028\u202e"
TEXT = f"a{HIDDEN}b done\n"


@pytest.mark.parametrize("mode", [[], ["--plain"], ["--json"]])
def test_invisible_characters_are_shown_not_sent(tmp_path, mode):
    path = write_jsonl(
        tmp_path / "rec.jsonl",
        [
            {"type": "start", "t": 0, "v": 1, "source": "chat"},
            {"type": "text", "t": 0, "text": TEXT[:3]},  # cut inside the hidden run
            {"type": "text", "t": 0, "text": TEXT[3:]},
            {"type": "end", "t": 0, "reason": "stop"},
        ],
    )
    with PtyTerminal(["replay", "--speed", "0", *mode, str(path)]) as term:
        assert term.wait_exit() == 0
        raw = bytes(term.raw).decode("utf-8")
        screen = term.text()
    assert [c for c in HIDDEN if c in raw] == []
    assert "done" in screen
    if mode == ["--json"]:
        lines = [line for line in raw.splitlines() if line.startswith('{"type":"text"')]
        assert "".join(orjson.loads(line)["text"] for line in lines) == TEXT
    else:
        assert "\\u2061" in screen and "\\xad" in screen and "\\U000e0100" in screen
