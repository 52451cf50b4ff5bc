"""Untrusted text made safe for a terminal, one character at a time.

What may be shown is decided by an allow-list of Unicode general categories: letters,
marks, numbers, punctuation, symbols, space separators and private-use characters (as
Python's Unicode tables know them), plus newline and tab, plus every emoji
(Extended_Pictographic, which covers the blocks reserved for future emoji). Everything
else is shown as a visible escape such as ``\\x1b`` or ``\\u202e``: controls, format
characters (bidirectional controls, zero-width characters, the soft hyphen…), line and
paragraph separators, lone surrogates, and code points these tables call unassigned
(noncharacters, tag characters, characters newer than Python's Unicode). So are the
invisible characters of allowed categories (`INVISIBLE`: variation selectors, Hangul
fillers, the combining grapheme joiner, the blank Braille pattern). ``\\r\\n`` becomes
``\\n``.

Three characters are allowed only in the emoji sequences they exist for, so that joined
emoji show as the emoji they are: the zero-width joiner between two emoji (👨‍👩‍👧), the
text and emoji presentation selectors (U+FE0E, U+FE0F) right after an emoji or a keycap
digit, and tag characters (U+E0020–U+E007E) after a black flag, ended by the cancel tag
U+E007F (🏴󠁧󠁢󠁳󠁣󠁴󠁿, at most 32 tags). `Sanitizer` judges them across chunks: it holds back a
joiner or an unfinished tag run at the end of a chunk, and remembers the emoji a chunk
ended with.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from streamcli.emoji import is_pictographic, pictographic_class

# The general categories shown as themselves: letters, marks, numbers, punctuation,
# symbols, space separators, private use. Not: Cc, Cf, Cs, Cn, Zl, Zp.
SHOWN_CATEGORIES = frozenset(
    {"Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps"}
    | {"Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Co"}
)
_SAFE_CONTROLS = frozenset({0x09, 0x0A})  # tab, newline

# Invisible (or rendering-altering) characters of the shown categories.
INVISIBLE = frozenset(
    [
        *(0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFFA0, 0x2800),  # CGJ, fillers…
        *range(0x180B, 0x1810),  # Mongolian variation selectors
        *range(0xFE00, 0xFE10),  # variation selectors (VS15/VS16 only after an emoji)
        *range(0xE0100, 0xE01F0),  # variation selectors supplement ("emoji smuggling")
    ]
)

ZWJ = "\u200d"
_PRESENTATION = "[\ufe0e\ufe0f]"  # VS15 text style, VS16 emoji style
_EMOJI = f"{pictographic_class()}(?:{_PRESENTATION}|[\U0001f3fb-\U0001f3ff])?"  # + skin tone
_TAGS = "[\U000e0020-\U000e007e]"
# The sequences in which the joiner, the presentation selectors and tags are shown.
_SEQUENCE = re.compile(
    f"\U0001f3f4{_TAGS}{{1,32}}\U000e007f|{_EMOJI}(?:{ZWJ}{_EMOJI})*|[0-9#*]{_PRESENTATION}"
)
_IN_SEQUENCES = re.compile(f"[{ZWJ}\ufe0e\ufe0f\U000e0020-\U000e007f]")
_UNFINISHED = re.compile(f"(?:{ZWJ}|\U0001f3f4{_TAGS}{{0,32}})\\Z")  # wait for what follows
_LAST_EMOJI = re.compile(f"(?:{_EMOJI}|[0-9#*]{_PRESENTATION}?)\\Z")


def is_unsafe(code: int) -> bool:
    """Whether the character `code` must not reach a terminal as itself (alone: the
    joiner, the presentation selectors and tags are shown only in their sequences)."""
    if code < 0x7F:
        return code < 0x20 and code not in _SAFE_CONTROLS
    if code in INVISIBLE:
        return True
    return unicodedata.category(chr(code)) not in SHOWN_CATEGORIES and not is_pictographic(code)


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
    the categories not shown (and for some shown ones, which then take the slow way)."""
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
    if _IN_SEQUENCES.search(text) is None:
        return text.translate(_TABLE)
    out: list[str] = []
    done = 0
    for match in _SEQUENCE.finditer(text):  # emoji sequences as they are, the rest escaped
        out.append(text[done : match.start()].translate(_TABLE))
        out.append(match.group())
        done = match.end()
    out.append(text[done:].translate(_TABLE))
    return "".join(out)


def shown_per_character(text: str) -> list[str]:
    """What `sanitize` shows for each character of `text` (itself, or its escape); for a
    display that must map each shown column back to the text (an input line)."""
    shown = [
        chr(value) if isinstance(value, int) else value
        for value in map(_TABLE.__getitem__, map(ord, text))
    ]
    if _IN_SEQUENCES.search(text) is not None:
        for match in _SEQUENCE.finditer(text):  # emoji sequences as they are
            shown[match.start() : match.end()] = match.group()
    return shown


class Sanitizer:
    """`sanitize` for a stream of chunks: a ``\\r``, a joiner or an unfinished flag at a
    chunk's end waits for the next chunk, and the emoji a chunk ended with is what a
    joiner or a selector at the start of the next one follows."""

    def __init__(self) -> None:
        self._held = ""  # the end of the last chunk, judged with the next
        self._lead = ""  # the emoji the text shown so far ends with

    def feed(self, chunk: str) -> str:
        text = self._held + chunk
        self._held = ""
        end = text[-1:]
        if end == "\r":
            text, self._held = text[:-1], "\r"
        elif end == ZWJ or end >= "\U0001f3f4":  # (the cheap test first: the common case)
            unfinished = _UNFINISHED.search(text, max(0, len(text) - 40))
            if unfinished is not None:
                text, self._held = text[: unfinished.start()], unfinished.group()
        if not text:
            return ""
        lead = self._lead  # what the text follows on screen, shown as itself
        shown = sanitize(lead + text)[len(lead) :] if lead else sanitize(text)
        self._lead = ""
        end = text[-1]
        if end > "\x7f" or end in "0123456789#*":
            context = lead + text[-8:]
            last = _LAST_EMOJI.search(context, max(0, len(context) - 8))
            self._lead = last.group() if last is not None else ""
        return shown

    def flush(self) -> str:
        """What is still held at the end of the stream."""
        held, self._held, self._lead = self._held, "", ""
        return sanitize(held)
