"""Untrusted text made safe for a terminal, one character at a time.

Every C0 control except newline and tab, DEL, C1 controls, bidirectional overrides,
marks and isolates, invisible separators and Unicode tag characters become a visible
escape such as ``\\x1b`` or ``\\u202e``; ``\\r\\n`` becomes ``\\n``. The mapping works on
code points, so a sequence split across two chunks is neutralised just the same.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f"  # C0 but \t \n, DEL, C1
    "\u061c\u200b\u200e\u200f\u2028-\u202e\u2060\u2066-\u2069\ufeff"  # bidi, invisible
    "\U000e0000-\U000e007f]"  # tag characters ("ASCII smuggling")
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def sanitize(text: str) -> str:
    """Return `text` with every unsafe character replaced by a visible escape."""
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(_escape, text)


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
