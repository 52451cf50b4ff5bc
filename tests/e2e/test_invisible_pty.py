"""Invisible and direction-changing characters in a stream never reach a real terminal raw:
in the live view, with --plain, and with --json on a terminal."""

from __future__ import annotations

from itertools import pairwise

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


FAMILY = "👨\u200d👩\u200d👧"
SCOTLAND = "\U0001f3f4" + "".join(chr(0xE0000 + ord(c)) for c in "gbsct") + "\U000e007f"
UNASSIGNED = "\u2065\ufff0\U000e0001\U000e0fff\U00013439"


@pytest.mark.parametrize("mode", [[], ["--plain"]])
def test_joined_emoji_stay_joined_and_unassigned_code_points_are_escaped(tmp_path, mode):
    """An allow-list of what may be shown: unassigned code points are escaped; the joiner
    and tags pass only inside the emoji they build, even cut across events."""
    text = f"{FAMILY} and {SCOTLAND} then {UNASSIGNED} end\n"
    cuts = [0, 2, 3, 12, 14, len(text)]  # inside the family and inside the flag's tags
    path = write_jsonl(
        tmp_path / "rec.jsonl",
        [
            {"type": "start", "t": 0, "v": 1, "source": "chat"},
            *[{"type": "text", "t": 0, "text": text[a:b]} for a, b in pairwise(cuts)],
            {"type": "end", "t": 0, "reason": "stop"},
        ],
    )
    with PtyTerminal(["replay", "--speed", "0", *mode, str(path)]) as term:
        assert term.wait_exit() == 0
        raw = bytes(term.raw).decode("utf-8")
    assert FAMILY in raw and SCOTLAND in raw
    assert "\\u200d" not in raw and "\\U000e0067" not in raw
    assert [c for c in UNASSIGNED if c in raw] == []
    for escape in ("\\u2065", "\\ufff0", "\\U000e0001", "\\U000e0fff", "\\U00013439"):
        assert escape in raw


def test_recorded_terminal_output_keeps_joined_emoji_and_escapes_unassigned(tmp_path):
    text = f"{FAMILY} {SCOTLAND} {UNASSIGNED}\r\n"
    path = tmp_path / "cast.cast"
    path.write_text(
        '{"version": 2, "width": 80, "height": 24}\n'
        + "".join(orjson.dumps([0.01 * i, "o", c]).decode() + "\n" for i, c in enumerate(text))
    )
    with PtyTerminal(["replay", "--speed", "0", str(path)]) as term:
        assert term.wait_exit() == 0
        raw = bytes(term.raw).decode("utf-8")
    assert FAMILY in raw and SCOTLAND in raw and "\\u2065" in raw and "\u2065" not in raw
