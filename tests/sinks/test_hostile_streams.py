"""Hostile streams through every sink a terminal can get (the live view, append mode,
--plain, --json, recorded terminal output): random escape sequences, C1 and invisible
characters, cut into events and frames at random. Nothing outside the allowed set reaches
the terminal: only streamcli's own sequences (or, for a recording, the allow-list's)."""

from __future__ import annotations

import io
import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from streamcli import events
from streamcli.env import Environment
from streamcli.sanitize import INVISIBLE
from streamcli.sinks import OutputOptions, choose_sink

PIECES = [
    "a", "é", " ", "\n", "\t", "\r", "\r\n", "\b", "\x00", "\x05", "\x07", "\x7f",
    "\x1b", "[", "]", "P", "_", "^", "X", ";", "?", ">", "0", "00", "052", "52", "5522",
    "8", "c;", "eA==", "\\", "21t", "6n", "c", "m", "1049h", "1000h", "2J", "1A",
    "\x1b[31m", "\x1b]0;title\x07", "\x1b]8;;https://x\x1b\\", "\x1bP$qm\x1b\\",
    "\x9b", "\x9c", "\x9d", "\x90", "\x85", "\u202e", "\u2066", "\u200b", "\u2061",
    "\u00ad", "\u180e", "\ufeff", "\u2028", "\U000e0041", "\ufe01", "\u3164", "**", "`",
    "# ", "[x](https://e)", "日本",
]  # fmt: skip
HOSTILE = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)

# What streamcli itself writes on a terminal (SGR, cursor column and up, erase the line
# and below, cursor and synchronized-output modes), and what the recording allow-list
# lets through.
OWN = re.compile(r"\x1b\[(?:[0-9;:]*[mAGJK]|\?(?:25|2026|7)[hl])")
RECORDED = re.compile(
    r"\x1b(?:[78DEMH=>c]|[()*+][0AB12<>]"
    r"|\[(?:[0-9;:]*[mABCDEFGHIJKLMPSTXZ@`abdefgrsu]|\?[0-9;:]*[hlJK]|4[hl]| q|[0-9;]* q|!p))"
)
SETUPS = [
    ({}, {}, "text"),  # the live view
    ({}, {"TTY_INTERACTIVE": "0"}, "text"),  # append mode
    ({"plain": True}, {}, "text"),
    ({"json": True}, {}, "text"),
    ({}, {}, "terminal"),  # an asciicast's output
]


class Recorded:
    """A source that streams recorded terminal output (what `choose_sink` asks)."""

    output = "terminal"
    line_labels = "none"


def unsafe_left(output: str, allowed: re.Pattern[str], controls: str = "") -> list[str]:
    rest = allowed.sub("", output)
    return [
        f"U+{ord(c):04X}"
        for c in rest
        if c not in "\n\t\r\b\x07" + controls
        and (unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp", "Cs") or ord(c) in INVISIBLE)
    ]


def terminal(environ: dict[str, str]) -> Environment:
    """Standard streams in memory that say they are a terminal."""
    return Environment(
        stdin=io.BytesIO(),
        stdout=io.BytesIO(),
        stderr=io.StringIO(),
        stdout_isatty=True,
        stderr_isatty=True,
        environ=environ,
    )


def hostile_events(texts: list[str], kinds: list[int]) -> list[dict]:
    out = [events.start(0, "chat")]
    for text, kind in zip(texts, kinds, strict=False):
        out.append(
            [
                events.text(0, text),
                events.reasoning(0, text),
                events.line(0, text, "app.log"),
                events.notice(0, text),
                events.tool_start(0, "c1", text or "t", {"path": text}),
                events.tool_end(0, "c1", text or "t", True, text, 1.0),
            ][kind % 6]
        )
    out.append(events.error(0, "x", "".join(texts)[:200]))
    out.append(events.end(0, "error"))
    return out


@settings(max_examples=60, deadline=None)
@given(
    st.lists(HOSTILE, min_size=1, max_size=12),
    st.lists(st.integers(0, 5), min_size=12, max_size=12),
    st.lists(st.integers(1, 4), min_size=1, max_size=6),
)
def test_no_sink_lets_anything_outside_the_allowed_set_reach_a_terminal(texts, kinds, frames):
    for flags, environ, output in SETUPS:
        env = terminal(environ)
        source = Recorded() if output == "terminal" else None
        sink = choose_sink(env, OutputOptions(**flags), source)  # type: ignore[arg-type]
        stream = (
            [events.text(0, text) for text in texts]
            if output == "terminal"
            else hostile_events(texts, kinds)
        )
        at = 0
        for size in frames * 20:  # frames of random sizes
            if at >= len(stream):
                break
            sink.write(stream[at : at + size])
            at += size
        if at < len(stream):
            sink.write(stream[at:])
        sink.close()
        written = env.stdout.getvalue().decode("utf-8", "replace")
        if output == "terminal":  # the charset shifts and form feeds are on the allow-list
            assert unsafe_left(written, RECORDED, "\x0b\x0c\x0e\x0f") == [], output
        else:
            assert unsafe_left(written, OWN) == [], (flags, environ, output)
        assert unsafe_left(env.stderr.getvalue(), OWN) == [], (flags, environ, output)


def test_the_live_view_erasing_below_itself_is_its_own_sequence():
    """Found by the test above: the live region's erase-below (`ESC[J`, when it shrinks)."""
    env = terminal({})
    sink = choose_sink(env, OutputOptions(), None)
    for event in hostile_events([" "], [0]):
        sink.write([event])
    sink.close()
    written = env.stdout.getvalue().decode()
    assert "\x1b[J" in written and unsafe_left(written, OWN) == []
