"""Bytes to lines: split on newline first, then decode each line.

``\\n`` never occurs inside a multi-byte UTF-8 sequence, so splitting the bytes first means
an invalid byte spoils only its own line. Each line is decoded as UTF-8 with replacement,
loses one trailing ``\\r``, and is capped at `MAX_LINE_BYTES` (the rest is skipped without
being buffered). A last line without its newline is held until the newline arrives.

Lines are plain ``str`` in the common case. A line whose event needs extra fields is a
`Line` (a ``str`` carrying `extra`):

- ``partial``: shown before its newline arrived (end of input, rotation, truncation, or
  held longer than the source is willing to wait);
- ``continued``: the rest of a line that was shown as ``partial``;
- ``cut`` and ``cut_bytes``: longer than the cap; only its first `MAX_LINE_BYTES` are kept;
- ``invalid_utf8``: bytes that are not UTF-8 were replaced with U+FFFD.
"""

from __future__ import annotations

from typing import Any, NamedTuple

MAX_LINE_BYTES = 1 << 20


class Line(str):
    """A line whose `line` event carries extra fields."""

    extra: dict[str, Any]


class Split(NamedTuple):
    """The complete lines of one read, with what tells which need a second look."""

    lines: list[str]
    flagged: bool  # some line is a `Line` with extra fields


_NOTHING = Split([], False)


class TailSplitter:
    """Bytes cut into lines; a line longer than the limit is cut short, not refused."""

    def __init__(self, max_bytes: int = MAX_LINE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._held = b""  # the unfinished last line (at most `max_bytes`)
        self._dropped = 0  # bytes of the unfinished line skipped beyond `max_bytes`
        self._continues = False  # the next line continues one shown as partial

    @property
    def holding(self) -> bool:
        """An unfinished line is waiting for its newline."""
        return bool(self._held) or self._dropped > 0

    def feed(self, data: bytes) -> Split:
        """The lines completed by `data`."""
        lines: list[str] = []
        if self._dropped:  # inside an over-long line: skip to its end
            end = data.find(b"\n")
            if end < 0:
                self._dropped += len(data)
                return _NOTHING
            self._dropped += end
            line = self._make(self._held, cut=self._dropped)
            assert line is not None  # only an empty rest is dropped, and this was cut
            lines.append(line)
            self._held, self._dropped = b"", 0
            data = data[end + 1 :]
        buffer = self._held + data if self._held else data
        last = buffer.rfind(b"\n")
        if last < 0:
            self._hold(buffer)
            return Split(lines, bool(lines))
        self._hold(buffer[last + 1 :])
        complete = buffer[:last]
        if lines or self._continues or len(complete) > self.max_bytes:
            lines.extend(self._each(complete.split(b"\n")))
            return Split(lines, True)
        try:
            text = complete.decode()
        except UnicodeDecodeError:
            return Split(self._each(complete.split(b"\n")), True)
        lines = text.split("\n")
        if "\r" in text:
            lines = [s[:-1] if s[-1:] == "\r" else s for s in lines]
        return Split(lines, False)

    def flush(self, final: bool = True) -> Split:
        """The unfinished line, marked partial (nothing if there is none).

        With `final` false more of the same line may still arrive; it will be marked
        ``continued``.
        """
        if not self.holding:
            return _NOTHING
        held = self._held
        if held[-1:] == b"\r" and not self._dropped:
            held = held[:-1]  # most likely the first half of a CRLF
        line = self._make(held, partial=True, cut=self._dropped)
        self._held, self._dropped = b"", 0
        self._continues = not final
        if line is None:
            return _NOTHING
        return Split([line], True)

    def reset(self) -> None:
        """Forget everything held (the bytes were flushed or are gone)."""
        self._held, self._dropped, self._continues = b"", 0, False

    # -- helpers -------------------------------------------------------------

    def _hold(self, rest: bytes) -> None:
        if len(rest) > self.max_bytes:
            keep = _cut_point(rest, self.max_bytes)
            self._dropped = len(rest) - keep
            rest = rest[:keep]
        self._held = rest

    def _each(self, raw_lines: list[bytes]) -> list[str]:
        """Decode lines one by one (the slow path: invalid UTF-8, long lines, flags)."""
        lines: list[str] = []
        for raw in raw_lines:
            cut = 0
            if len(raw) > self.max_bytes:
                keep = _cut_point(raw, self.max_bytes)
                cut = len(raw) - keep
                raw = raw[:keep]
            elif raw[-1:] == b"\r":
                raw = raw[:-1]
            line = self._make(raw, cut=cut)
            if line is not None:
                lines.append(line)
        return lines

    def _make(self, raw: bytes, *, partial: bool = False, cut: int = 0) -> str | None:
        """Decode one line and attach the fields its event needs, if any.

        None for the empty rest of a line already shown as partial: only its end came.
        """
        extra: dict[str, Any] = {}
        if self._continues:
            self._continues = False
            if not raw and not cut:
                return None
            extra["continued"] = True
        if partial:
            extra["partial"] = True
        if cut:
            extra["cut"] = True
            extra["cut_bytes"] = cut
        try:
            text = raw.decode()
        except UnicodeDecodeError:
            text = raw.decode("utf-8", "replace")
            extra["invalid_utf8"] = True
        if not extra:
            return text
        line = Line(text)
        line.extra = extra
        return line


def _cut_point(data: bytes, limit: int) -> int:
    """The largest length <= `limit` that does not split a UTF-8 character."""
    end = limit
    while end > limit - 3 and end > 0 and data[end] & 0xC0 == 0x80:
        end -= 1
    return end
