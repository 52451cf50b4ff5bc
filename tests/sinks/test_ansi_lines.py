"""Rows as SGR runs: transitions, the encoder, common prefixes (checked on pyte)."""

from __future__ import annotations

import pyte
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.segment import Segment
from rich.style import Style
from screens import emulator

from streamcli.sinks.ansi_lines import (
    PLAIN,
    LineEncoder,
    Row,
    Sgr,
    common_prefix,
    encode,
    encode_padded,
    plain_text,
    transition,
)

SGR_CHOICES = st.builds(
    Sgr,
    st.lists(st.sampled_from(["1", "3", "4", "7", "9"]), unique=True, max_size=3).map(tuple),
    st.sampled_from(["", "31", "38;5;81", "38;2;10;20;30"]),
    st.sampled_from(["", "44", "48;5;235", "48;2;1;2;3"]),
)


def _attrs(char: pyte.screens.Char) -> tuple:
    return (
        char.fg,
        char.bg,
        char.bold,
        char.italics,
        char.underscore,
        char.reverse,
        char.strikethrough,
    )


@settings(max_examples=300, deadline=None)
@given(a=SGR_CHOICES, b=SGR_CHOICES)
def test_transition_gives_the_same_look_as_starting_over(a, b):
    screen, stream = emulator()
    stream.feed(transition(PLAIN, a) + "x" + transition(a, b) + "y")
    reference, reference_stream = emulator()
    full = ";".join(("0", *b.attrs, *(c for c in (b.fg, b.bg) if c)))
    reference_stream.feed(f"\x1b[{full}my")
    assert _attrs(screen.buffer[0][1]) == _attrs(reference.buffer[0][0])


def test_encoder_drops_padding_and_keeps_a_background_fill():
    encoder = LineEncoder("256")
    code = Style(color="white", bgcolor="grey11")
    line = encoder.encode([Segment(" x = 1", code), Segment("        ", code)])
    assert plain_text(line) == " x = 1" and line.cells == 6
    assert line.fill is not None
    plain = encoder.encode([Segment("text"), Segment("      ")])
    assert plain.fill is None and plain.cells == 4
    screen, stream = emulator(12, 2)
    stream.feed(encode(line))
    assert screen.buffer[0][11].bg != "default"  # filled to the end of the row
    assert encode_padded(line, 12).count(" ") >= 6  # spaces, not erase, for a file


def test_spaces_between_tokens_do_not_switch_colours():
    encoder = LineEncoder("256")
    line = encoder.encode(
        [Segment("def", Style(color="blue")), Segment(" ", Style(color="red")), Segment("f")]
    )
    assert [text for text, _ in line.runs] == ["def ", "f"]


def test_common_prefix_never_splits_a_combining_mark():
    old = Row((("cafe", PLAIN),), 4)
    new = Row((("cafe\u0301 ok", PLAIN),), 7)
    column, _, rest = common_prefix(old, new)
    assert column == 3 and plain_text(rest) == "e\u0301 ok"
    assert common_prefix(Row((("x", PLAIN),), 1), Row((("y", PLAIN),), 1)) is None
