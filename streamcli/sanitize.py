"""Untrusted text made safe for a terminal, one character at a time.

What is unsafe is decided by Unicode category, not by a list: every control (Cc) except
newline and tab, every format character (Cf: bidirectional controls, zero-width
characters, invisible operators, the soft hyphen, tag characters…), line and paragraph
separators (Zl, Zp) and lone surrogates (Cs), plus the few invisible characters of other
categories (`INVISIBLE`: variation selectors other than the emoji ones, Hangul fillers,
the combining grapheme joiner…). Each becomes a visible escape such as ``\\x1b`` or
``\\u202e``; ``\\r\\n`` becomes ``\\n``. The mapping works on code points, so a sequence
split across two chunks is neutralised just the same.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
_SAFE_CONTROLS = frozenset({0x09, 0x0A})  # tab, newline

# Invisible (or rendering-altering) characters outside the unsafe categories.
INVISIBLE = frozenset(
    [0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFFA0, 0x2800]  # CGJ, fillers, blank
    + list(range(0x180B, 0x1810))  # Mongolian variation selectors
    + [c for c in range(0xFE00, 0xFE10) if c not in (0xFE0E, 0xFE0F)]  # but text/emoji style
    + list(range(0xE0100, 0xE01F0))  # variation selectors supplement ("emoji smuggling")
)


def is_unsafe(code: int) -> bool:
    """Whether the character `code` must not reach a terminal as itself."""
    if code < 0x7F:
        return code < 0x20 and code not in _SAFE_CONTROLS
    return code in INVISIBLE or unicodedata.category(chr(code)) in _UNSAFE_CATEGORIES


def visible(code: int) -> str:
    """The escape that shows `code`: ``\\x1b``, ``\\u202e``, ``\\U000e0041``."""
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


class EscapeTable(dict[int, "int | str"]):
    """A `str.translate` table that works out each character once, when first seen:
    unsafe ones map to `escape(code)`, the others to themselves."""

    def __init__(self, escape: Callable[[int], str]) -> None:
        super().__init__()
        self._escape = escape

    def __missing__(self, code: int) -> int | str:
        value: int | str = self._escape(code) if is_unsafe(code) else code
        self[code] = value
        return value


_TABLE = EscapeTable(visible)


def _ranges(codes: frozenset[int]) -> str:
    """A regular expression class of `codes`, consecutive ones as ranges."""
    parts, ordered = [], sorted(codes)
    start = prev = ordered[0]
    for code in [*ordered[1:], -1]:
        if code != prev + 1:
            last = f"-{re.escape(chr(prev))}" if prev > start else ""
            parts.append(re.escape(chr(start)) + last)
            start = code
        prev = code
    return "[" + "".join(parts) + "]"


_INVISIBLE = re.compile(_ranges(INVISIBLE))


def is_plain(text: str) -> bool:
    """Nothing to escape, checked in C: `str.isprintable` is false for every character of
    the unsafe categories (and for some safe ones, which then take the slow way)."""
    if not text.isprintable():
        text = text.replace("\n", "").replace("\t", "")
        if not text.isprintable():
            return False
    return text.isascii() or _INVISIBLE.search(text) is None


def sanitize(text: str) -> str:
    """Return `text` with every unsafe character replaced by a visible escape."""
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    if is_plain(text):
        return text
    return text.translate(_TABLE)


class Sanitizer:
    """`sanitize` for a stream of chunks: a ``\\r`` at a chunk's end waits for the next."""

    def __init__(self) -> None:
        self._held_cr = False

    def feed(self, chunk: str) -> str:
        if self._held_cr:
            chunk = "\r" + chunk
            self._held_cr = False
        if chunk.endswith("\r"):
            chunk = chunk[:-1]
            self._held_cr = True
        return sanitize(chunk)

    def flush(self) -> str:
        """What is still held at the end of the stream."""
        if self._held_cr:
            self._held_cr = False
            return sanitize("\r")
        return ""
