"""Recorded terminal output reduced to an allow-list of escape sequences.

A recording legitimately needs colours and text attributes (SGR), cursor movement and
positioning, erasing, inserting and deleting, scroll regions and scrolling, saving and
restoring the cursor, the cursor's shape, character set designations, and a few modes
that `RESTORE_TERMINAL` switches off again at the end (the alternate screen, a hidden
cursor, bracketed paste, application cursor keys, insert mode…). Everything else is
dropped: every OSC (titles, clipboard, hyperlinks, colour queries, kitty's 5522…)
whatever its number is written as, every DCS (DECRQSS), SOS, PM and APC string, queries
that make the terminal answer into our input (DA, DSR, ``CSI 21 t`` and other window
operations, DECRQM, DECID), mouse reporting, keyboard protocol changes, and C0 and C1
controls other than backspace, tab, newline, vertical tab, form feed, carriage return,
bell and the charset shifts. C1 introducers (U+009B CSI…) are read as their ESC forms,
and an allowed sequence is written in its 7-bit form. The text between them goes through
`sanitize.Sanitizer`, as everywhere: what is not on its allow-list (format, invisible and
unassigned characters) is shown as a visible escape, joined emoji stay joined.

The filter is a state machine fed one character at a time, so a sequence split across
chunks is judged whole; a sequence cut off at the end of the recording is dropped.
"""

from __future__ import annotations

from streamcli.sanitize import Sanitizer

ESC = "\x1b"

# Reset attributes, show the cursor, leave the alternate screen, stop bracketed paste and
# mouse reporting, normal cursor keys and keypad, autowrap on, replace mode, the whole
# screen as the scroll region (the cursor kept where it is), the G0 character set.
RESTORE_TERMINAL = (
    b"\x1b[0m\x1b[?25h\x1b[?1049l\x1b[?2004l\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l"
    b"\x1b[?1l\x1b>\x1b[?7h\x1b[?6l\x1b[?5l\x1b[4l\x1b7\x1b[r\x1b8\x0f\x1b(B"
)

_CONTROLS = frozenset("\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f")  # kept as they are
_CANCEL = frozenset("\x18\x1a")  # CAN, SUB: end a sequence, print nothing
_ESC_FINALS = frozenset("78DEMH=>c")  # DECSC, DECRC, IND, NEL, RI, HTS, keypad, RIS
_CHARSETS = frozenset("()*+")  # designate G0–G3 …
_CHARSET_FINALS = frozenset("0AB12<>")  # … as line drawing, UK, US and the like
# CSI finals without a prefix: SGR, cursor movement and position, erase, insert, delete,
# scroll, tab stops, repeat, scroll region, save and restore the cursor.
_CSI_FINALS = frozenset("mABCDEFGHIJKLMPSTXZ@`abdefgrsu")
_PUBLIC_MODES = frozenset({"4"})  # insert mode
_PRIVATE_MODES = frozenset({"1", "5", "6", "7", "12", "25", "47", "1047", "1048", "1049", "2004"})
_MAX_SEQUENCE = 64  # longer parameter strings are dropped whole
_C1_STRINGS = {"\x90": "P", "\x98": "X", "\x9d": "]", "\x9e": "^", "\x9f": "_"}


def _csi_allowed(params: str, final: str) -> bool:
    """Whether ``CSI params final`` is on the allow-list (`params` with intermediates)."""
    intermediates = params[len(params.rstrip(" !\"#$%&'()*+,-./")) :]
    params = params[: len(params) - len(intermediates)]
    prefix = params[:1] if params[:1] in ("?", ">", "<", "=") else ""
    numbers = params[len(prefix) :]
    if any(c not in "0123456789;:" for c in numbers):
        return False
    if intermediates:
        return not prefix and (intermediates, final) in ((" ", "q"), ("!", "p"))
    if final in "hl":
        allowed = {"?": _PRIVATE_MODES, "": _PUBLIC_MODES}.get(prefix, frozenset())
        return set(numbers.split(";")) <= allowed
    if prefix == "?":
        return final in "JK"  # selective erase
    return not prefix and final in _CSI_FINALS


class EscapeFilter:
    """Keeps only allowed escape sequences and controls, chunk by chunk."""

    def __init__(self) -> None:
        self._state = "ground"
        self._sequence = ""  # the escape sequence read so far (7-bit form)
        self._osc = False  # the string being dropped is an OSC (BEL ends it too)
        self._run: list[str] = []  # printable text not yet sanitized
        self._text = Sanitizer()  # (holds a joiner or a flag's tags cut at a chunk's end)

    def feed(self, chunk: str) -> str:
        out: list[str] = []
        for ch in chunk:
            self._step(ch, out)
        if self._run:
            out.append(self._text.feed("".join(self._run)))
            self._run.clear()
        return "".join(out)

    def flush(self) -> str:
        """End of the output: a sequence cut off here is dropped."""
        self._state, self._sequence = "ground", ""
        out: list[str] = []
        self._end_text(out)
        return "".join(out)

    def _end_text(self, out: list[str]) -> None:
        """A control or a sequence follows the text: what it held is judged now."""
        if self._run:
            out.append(self._text.feed("".join(self._run)))
            self._run.clear()
        out.append(self._text.flush())

    def _step(self, ch: str, out: list[str]) -> None:
        state = self._state
        code = ord(ch)
        if state == "ground":
            if 0x20 <= code < 0x7F or code >= 0xA0:
                self._run.append(ch)
                return
            self._end_text(out)
            if ch in _CONTROLS:
                out.append(ch)
            elif ch == ESC:
                self._state, self._sequence = "escape", ESC
            elif ch == "\x9b":
                self._state, self._sequence = "csi", ESC + "["
            elif ch in _C1_STRINGS:
                self._state, self._osc = "string", ch == "\x9d"
            # other C0 and C1 controls and DEL: dropped
            return
        if ch in _CANCEL:
            self._state = "ground"
            return
        if state in ("string", "string-escape"):
            if state == "string-escape" and ch != "\\":
                self._state = "ground"  # ESC + something else: a new sequence begins
                self._step(ESC, out)
                self._step(ch, out)
            elif state == "string-escape" or ch == "\x9c" or (self._osc and ch == "\x07"):
                self._state = "ground"
            elif ch == ESC:
                self._state = "string-escape"
            return
        if ch == ESC:  # a new sequence interrupts this one
            self._state, self._sequence = "escape", ESC
            return
        if code < 0x20 or code >= 0x7F:
            # A control (or any non-ASCII character) inside a sequence ends it unfinished.
            self._state = "ground"
            self._step(ch, out)
            return
        if state == "csi-drop":  # too long a sequence: dropped up to its final byte
            if "\x40" <= ch <= "\x7e":
                self._state = "ground"
            return
        self._sequence += ch
        sequence = self._sequence
        if state == "escape":
            if ch == "[":
                self._state = "csi"
            elif ch in "]PX^_":
                self._state, self._osc = "string", ch == "]"
            elif ch in _CHARSETS or "\x20" <= ch <= "\x2f":
                self._state = "escape-intermediate"
            else:
                self._state = "ground"
                if ch in _ESC_FINALS:
                    out.append(sequence)
        elif state == "escape-intermediate":
            if "\x20" <= ch <= "\x2f":
                if len(sequence) > _MAX_SEQUENCE:
                    self._state = "ground"
                return
            self._state = "ground"
            if len(sequence) == 3 and sequence[1] in _CHARSETS and ch in _CHARSET_FINALS:
                out.append(sequence)
        elif "\x40" <= ch <= "\x7e":  # the final byte of a CSI sequence
            self._state = "ground"
            if _csi_allowed(sequence[2:-1], ch):
                out.append(sequence)
        elif len(sequence) > _MAX_SEQUENCE:
            self._state = "csi-drop"
