"""The sanitizer against the escape forms of the reliability note, and its properties."""

from __future__ import annotations

import io
import re
import sys
import unicodedata

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

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
HIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def raw_unsafe(text: str) -> list[str]:
    """Characters of `text` a terminal must not get as themselves."""
    return [
        f"U+{ord(c):04X}"
        for c in text
        if c not in "\n\t" and (unicodedata.category(c) in HIDDEN or ord(c) in INVISIBLE)
    ]


def test_no_control_format_separator_or_invisible_character_anywhere_in_unicode_survives():
    out = sanitize(ALL_OF_UNICODE)
    assert raw_unsafe(out) == []
    for code in (0x2061, 0x2062, 0x2063, 0x2064, 0x00AD, 0x180E, 0x200D, 0xFE01, 0xE0100):
        assert visible_form(code) in out
    assert "\ufe0f" in out and "日" in out and "🦀" in out  # emoji style, text and emoji stay


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
