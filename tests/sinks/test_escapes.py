"""The allow-list of escape sequences for recorded terminal output: what a recording needs
goes through, everything else — whatever its spelling — is dropped, however it is cut."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streamcli.sinks.escapes import EscapeFilter


def filtered(text: str) -> str:
    f = EscapeFilter()
    return f.feed(text) + f.flush()


@pytest.mark.parametrize(
    "attack",
    [
        "\x1b]052;c;Y3VybCBldmlsfHNo\x07",  # clipboard, number with a leading zero
        "\x1b]00;pwned\x07",  # title, the same
        "\x1b]0002;pwned\x1b\\",
        "\x1b]5522;type=write;Y3VybA==\x1b\\",  # kitty's clipboard protocol
        "\x1b]52;c;eA==\x9c",
        "\x9d52;c;eA==\x07",  # the C1 form of OSC
        "\x1b]8;;https://evil\x1b\\",  # hyperlink with a hidden target
        "\x1b]10;?\x07",  # colour query: the terminal answers into our input
        "\x1b]4;1;?\x1b\\",
        "\x1b[c",  # DA
        "\x1b[>c",  # DA2
        "\x1b[6n",  # DSR: cursor position report
        "\x9b6n",
        "\x1b[21t",  # title report
        "\x1b[14t",
        "\x1b[8;100;300t",  # resize the window
        "\x1bP$qm\x1b\\",  # DECRQSS
        '\x90$q"p\x9c',
        "\x1b[?2026$p",  # DECRQM
        "\x1bZ",  # DECID
        "\x1b[?1000h",  # mouse reporting: the terminal types mouse reports
        "\x1b[>4;2m",  # modifyOtherKeys
        "\x1b[>1u",  # kitty keyboard protocol
        "\x1b_Gf=24;AAAA\x1b\\",  # APC (kitty graphics)
        "\x1b^privacy\x1b\\",  # PM
        "\x1bXstring\x1b\\",  # SOS
        "\x05",  # ENQ: the answerback message
        "\x00\x7f\x85\x8d",  # NUL, DEL, NEL and RI as C1
        "\x1b[" + "1;" * 100 + "m",  # absurdly long
    ],
)
def test_hostile_sequences_are_dropped_whole(attack):
    assert filtered(f"a{attack}b") == "ab"


def test_what_a_recording_needs_goes_through_in_7_bit_form():
    kept = (
        "\x1b[0;1;38;2;255;0;0mred\x1b[0m\x1b[38:5:196mx\x1b[m\x1b[2J\x1b[H\x1b[10;5H\x1b[3A"
        "\x1b[K\x1b[1K\x1b[2P\x1b[3@\x1b[2L\x1b[M\x1b[5;20r\x1b[S\x1b[2T\x1b7\x1b8\x1bM"
        "\x1b[s\x1b[u\x1b[?25l\x1b[?25h\x1b[?1049h\x1b[?1049l\x1b[?2004h\x1b[?1;7h\x1b[4h"
        "\x1b[2 q\x1b[!p\x1b(0lqk\x1b(B\x1b=\x1b>\t\r\n\x08\x07é日本"
    )
    assert filtered(kept) == kept
    assert filtered("\x9b31mx\x9b0m") == "\x1b[31mx\x1b[0m"


def test_an_interrupted_sequence_does_not_swallow_the_text_after_it():
    assert filtered("a\x1b]0;title\x1b[31mred") == "a\x1b[31mred"  # ESC begins anew
    assert filtered("a\x1b]0;ti\x18b") == "ab"  # CAN cancels
    assert filtered("a\x1b[31\nb") == "a\nb"


# Pieces of hostile and harmless sequences, put together at random.
PIECES = [
    "x", "é", "\x1b", "]", "[", "P", "_", "^", "X", "0", "00", "052", "52", "5522", "8", ";",
    "c;", "?", ">", "$", "q", " ", "!", "eA==", "\x07", "\\", "\x9b", "\x9c", "\x9d", "\x90",
    "6n", "21t", "m", "1049h", "25l", "1000h", "(", "B", "\x18", "\n", "\r", "\x05", "\x00",
    "h", "l", "t", "n", "u",
]  # fmt: skip
HOSTILE = st.lists(st.sampled_from(PIECES), max_size=60).map("".join)

# The only forms an ESC may start in the output (what the allow-list lets through).
_ALLOWED = re.compile(
    r"\x1b(?:[78DEMH=>c]|[()*+][0AB12<>]"
    r"|\[(?:[0-9;:]*[mABCDEFGHIJKLMPSTXZ@`abdefgrsu]|\?[0-9;:]*[hlJK]|4h|4l| q|[0-9;]* q|!p))"
)


def assert_only_allowed(output: str) -> None:
    rest = _ALLOWED.sub("", output)
    assert "\x1b" not in rest, repr(output)
    assert not re.search("[\x00-\x06\x10-\x1f\x7f-\x9f]", rest), repr(output)
    for modes in re.findall(r"\x1b\[\?([0-9;]*)[hl]", output):
        assert set(modes.split(";")) <= {"1", "5", "6", "7", "12", "25", "47", "1047", "1048",
                                         "1049", "2004"}  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(HOSTILE, st.lists(st.integers(0, 400), max_size=12))
def test_hostile_streams_cut_anywhere_give_only_allowed_sequences(text, cuts):
    cuts = sorted(c for c in cuts if 0 < c < len(text))
    pieces = [text[i:j] for i, j in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    f = EscapeFilter()
    out = "".join(f.feed(p) for p in pieces) + f.flush()
    assert out == filtered(text)
    assert_only_allowed(out)


@settings(deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8")), st.integers(0, 50))
def test_any_text_gives_only_allowed_sequences(text, cut):
    f = EscapeFilter()
    assert_only_allowed(f.feed(text[:cut]) + f.feed(text[cut:]) + f.flush())
