"""The sanitizer against the escape forms of the reliability note, and its properties."""

from __future__ import annotations

import io
import re
import sys
import unicodedata

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streamcli.emoji import is_pictographic
from streamcli.sanitize import INVISIBLE, Sanitizer, sanitize
from streamcli.sinks.jsonl import JsonlSink

UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u2028-\u202e\u2060\u2066-\u2069"
    "\ufeff\U000e0000-\U000e007f]"
)

PAYLOADS = {
    "osc52 clipboard (BEL)": "\x1b]52;c;Y3VybCBldmlsfHNo\x07",
    "osc52 clipboard (ST)": "\x1b]52;c;Y3VybA==\x1b\\",
    "osc8 hidden link": "\x1b]8;;https://evil.example\x1b\\docs\x1b]8;;\x1b\\",
    "osc0 title": "\x1b]0;pwned\x07",
    "cursor up and erase": "safe\x1b[1A\x1b[2Khidden",
    "carriage return overwrite": "rm -rf /\rls",
    "c1 csi": "\u009b31mred",
    "c1 osc": "\u009d0;title\u009c",
    "decrqss": "\x1bP$qm\x1b\\",
    "title report": "\x1b[21t",
    "nul del bel backspace": "a\x00b\x7fc\x07d\x08e",
    "rlo bidi override": "evil\u202etxt.exe",
    "bidi isolate": "\u2066hidden\u2069",
    "tag smuggling": "hi\U000e0041\U000e0042",
    "zero width": "pass\u200bword\ufeff",
    "sgr invisible": "\x1b[8msecret\x1b[0m",
}


def test_every_payload_is_neutralised_and_visible():
    for name, payload in PAYLOADS.items():
        out = sanitize(payload)
        assert UNSAFE.search(out) is None, name
        assert "\\" in out, name  # the escape is shown, not silently dropped


def test_escape_forms():
    assert sanitize("\x1b[1A") == "\\x1b[1A"
    assert sanitize("\u009b") == "\\x9b"
    assert sanitize("a\u202eb") == "a\\u202eb"
    assert sanitize("\U000e0041") == "\\U000e0041"
    assert sanitize("a\rb") == "a\\x0db"


def test_newline_tab_and_ordinary_text_unchanged():
    text = "Hello, wörld! 日本語 🦀 `code`\n\tindented [link](x) **bold** \\n"
    assert sanitize(text) == text


def test_crlf_becomes_lf():
    assert sanitize("a\r\nb\r\n") == "a\nb\n"


@settings(deadline=None)
@given(st.text())
def test_output_is_safe_and_idempotent(text):
    out = sanitize(text)
    assert UNSAFE.search(out) is None
    assert sanitize(out) == out


@settings(deadline=None)
@given(st.binary())
def test_invalid_utf8_decoded_with_replacement_is_safe(data):
    assert UNSAFE.search(sanitize(data.decode("utf-8", "replace"))) is None


@settings(deadline=None)
@given(st.text(alphabet=st.sampled_from("ab\r\n\x1b[]\u202e\x9b\t")), st.data())
def test_chunked_sanitizing_equals_whole(text, data):
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=8)))
    pieces = [text[i:j] for i, j in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    sanitizer = Sanitizer()
    assert "".join(sanitizer.feed(p) for p in pieces) + sanitizer.flush() == sanitize(text)


# -- by Unicode category, over the whole of Unicode ---------------------------------------

ALL_OF_UNICODE = "".join(map(chr, range(sys.maxunicode + 1)))
HIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Cn"})
ZWJ, VS15, VS16, FLAG, CANCEL_TAG = "\u200d", "\ufe0e", "\ufe0f", "\U0001f3f4", "\U000e007f"
SKIN_TONES = frozenset(map(chr, range(0x1F3FB, 0x1F400)))
FAMILY = f"👨{ZWJ}👩{ZWJ}👧"
SCOTLAND = FLAG + "".join(chr(0xE0000 + ord(c)) for c in "gbsct") + CANCEL_TAG


def is_tag(c: str) -> bool:
    return 0xE0020 <= ord(c) <= 0xE007E


def in_emoji_sequence(text: str, i: int) -> bool:
    """Whether `text[i]` (a joiner, a presentation selector, a tag) is where it belongs:
    a joiner between two emoji, a selector right after an emoji or a keycap digit, tags
    after a black flag and ended by the cancel tag (an independent reading of the rule)."""
    c = text[i]
    before = text[i - 1] if i else ""
    if c in (VS15, VS16):
        return bool(before) and (is_pictographic(ord(before)) or before in "0123456789#*")
    if c == ZWJ:
        j = i - 1
        if j >= 0 and (text[j] in (VS15, VS16) or text[j] in SKIN_TONES):
            j -= 1
        after = text[i + 1] if i + 1 < len(text) else ""
        return (
            j >= 0 and is_pictographic(ord(text[j])) and bool(after) and is_pictographic(ord(after))
        )
    if is_tag(c) or c == CANCEL_TAG:
        start = i
        while start > 0 and is_tag(text[start - 1]):
            start -= 1
        end = i if c == CANCEL_TAG else i + 1
        while end < len(text) and is_tag(text[end]):
            end += 1
        tags = end - start
        return (
            start > 0
            and text[start - 1] == FLAG
            and end < len(text)
            and text[end] == CANCEL_TAG
            and 1 <= tags <= 32
        )
    return False


def raw_unsafe(text: str) -> list[str]:
    """Characters of `text` a terminal must not get as themselves."""
    return [
        f"U+{ord(c):04X}"
        for i, c in enumerate(text)
        if c not in "\n\t"
        and (
            (unicodedata.category(c) in HIDDEN and not is_pictographic(ord(c)))
            or ord(c) in INVISIBLE
            or c in (ZWJ, CANCEL_TAG)
            or is_tag(c)
        )
        and not in_emoji_sequence(text, i)
    ]


def test_no_control_format_separator_or_invisible_character_anywhere_in_unicode_survives():
    out = sanitize(ALL_OF_UNICODE)
    assert raw_unsafe(out) == []
    for code in (0x2061, 0x2062, 0x2063, 0x2064, 0x00AD, 0x180E, 0x200D, 0xFE01, 0xE0100):
        assert visible_form(code) in out
    assert "日" in out and "🦀" in out  # text and emoji stay
    assert "\\ufe0f" in out  # a presentation selector after nothing it applies to


def test_every_code_point_unicode_leaves_unassigned_is_escaped():
    """An allow-list: a code point Python's tables call unassigned (noncharacters, the tag
    block, the variation selectors supplement's gaps, Egyptian format controls newer than
    them) is shown as an escape; only emoji (reserved blocks included) pass."""
    out = sanitize(ALL_OF_UNICODE)
    unassigned = [c for c in out if unicodedata.category(c) == "Cn" and not is_pictographic(ord(c))]
    assert unassigned == []
    for code in (0x2065, 0xFFF0, 0xFFF8, 0xE0000, 0xE0080, 0xE01F0, 0xE0FFF, 0x13439, 0x1343F):
        assert sanitize(chr(code)) == visible_form(code)
    assert sanitize("\U0001fae8") == "\U0001fae8"  # an emoji newer than these tables


@pytest.mark.parametrize(
    "joined",
    [FAMILY, SCOTLAND, f"👩🏽{ZWJ}💻", f"🏳{VS16}{ZWJ}🌈", f"❤{VS16}", f"1{VS16}\u20e3", f"☺{VS15}"],
)
def test_joined_emoji_are_shown_as_the_emoji_they_are_in_any_chunks(joined):
    text = f"a {joined} b {joined}{joined}"
    assert sanitize(text) == text
    for size in (1, 2, 3):
        sanitizer = Sanitizer()
        pieces = [text[i : i + size] for i in range(0, len(text), size)]
        assert "".join(sanitizer.feed(p) for p in pieces) + sanitizer.flush() == text


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (f"a{ZWJ}b", "a\\u200db"),  # a joiner between letters
        (f"👨{ZWJ}b", "👨\\u200db"),
        (f"a{ZWJ}👩", "a\\u200d👩"),
        (f"👨{ZWJ}", "👨\\u200d"),  # at the end of the stream
        (f"a{VS16}", "a\\ufe0f"),  # a selector after a letter
        (f"❤{VS16}{VS16}", "❤\ufe0f\\ufe0f"),  # a second one (smuggling one bit per char)
        ("hi\U000e0041\U000e0042", "hi\\U000e0041\\U000e0042"),  # tags without a flag
        (f"{FLAG}\U000e0067\U000e0062", "🏴\\U000e0067\\U000e0062"),  # never ended
        (f"{FLAG}{CANCEL_TAG}", "🏴\\U000e007f"),  # no tag
        (FLAG + "\U000e0061" * 33 + CANCEL_TAG, "🏴" + "\\U000e0061" * 33 + "\\U000e007f"),
    ],
)
def test_the_joiner_selectors_and_tags_outside_their_sequences_are_escaped(text, shown):
    assert sanitize(text) == shown
    sanitizer = Sanitizer()
    assert "".join(sanitizer.feed(c) for c in text) + sanitizer.flush() == shown


def visible_form(code: int) -> str:
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}"
        if code < 0x10000
        else (f"\\U{code:08x}")
    )


def test_json_on_a_terminal_escapes_the_same_characters_and_means_the_same():
    out = io.BytesIO()
    text = ALL_OF_UNICODE.replace("\ud800", "").encode("utf-8", "ignore").decode()  # no Cs
    JsonlSink(out, escape_controls=True).write([{"type": "text", "t": 0, "text": text}])
    written = out.getvalue().decode("utf-8")
    assert raw_unsafe(written.rstrip("\n")) == []
    assert orjson.loads(written)["text"] == text


ANY_CHARACTER = st.characters(codec=None, categories=None)


@settings(deadline=None)
@given(st.text(alphabet=ANY_CHARACTER), st.lists(st.integers(0, 60), max_size=8))
def test_any_text_in_any_chunks_is_safe_the_same_and_idempotent(text, cuts):
    cuts = sorted(c for c in cuts if 0 < c < len(text))
    pieces = [text[i:j] for i, j in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    sanitizer = Sanitizer()
    out = "".join(sanitizer.feed(p) for p in pieces) + sanitizer.flush()
    assert out == sanitize(text)
    assert raw_unsafe(out) == []
    assert sanitize(out) == out
