"""Recorded terminal output (asciicast) written as recorded, minus the dangerous parts.

Clipboard writes (OSC 52) and window-title changes (OSC 0, 1, 2) are removed unless the
user asks for `--unsafe`; the filter keeps its state between chunks, so a sequence split
across two events is removed just the same. On a terminal, output is written per frame and
the modes a recording may have switched on are switched off again at the end; into a pipe
or a file, as soon as the pipeline is free to write it.
"""

from __future__ import annotations

import re
from typing import BinaryIO, TextIO

from streamcli.events import Event
from streamcli.sinks.base import ASAP, FRAME_INTERVAL, Output, Sink
from streamcli.sinks.text import describe

# Reset attributes, show the cursor, leave the alternate screen, stop bracketed paste and
# mouse reporting.
RESTORE_TERMINAL = (
    b"\x1b[0m\x1b[?25h\x1b[?1049l\x1b[?2004l\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l"
)

_BLOCKED_OSC = frozenset({"0", "1", "2", "52"})
_OSC_START = re.compile("\x1b|\x9d")
_OSC_END = re.compile("\x07|\x1b\\\\|\x9c")
_OSC_NUMBER = re.compile(r"\d*")
_MAX_HELD = 32


class OscFilter:
    """Removes OSC sequences whose number is in `_BLOCKED_OSC`, chunk by chunk."""

    def __init__(self) -> None:
        self._held = ""  # the start of an escape sequence cut off by the chunk's end
        self._dropping = False  # inside a blocked sequence, until its terminator

    def feed(self, chunk: str) -> str:
        data = self._held + chunk
        self._held = ""
        out: list[str] = []
        i, n = 0, len(data)
        while i < n:
            if self._dropping:
                end = _OSC_END.search(data, i)
                if end is None:
                    if data.endswith("\x1b"):
                        self._held = "\x1b"
                    return "".join(out)
                self._dropping = False
                i = end.end()
                continue
            start = _OSC_START.search(data, i)
            if start is None:
                out.append(data[i:])
                break
            j = start.start()
            out.append(data[i:j])
            if data[j] == "\x9d":
                body = j + 1
            elif j + 1 >= n:
                self._held = data[j:]
                break
            elif data[j + 1] == "]":
                body = j + 2
            else:
                out.append(data[j])
                i = j + 1
                continue
            digits = _OSC_NUMBER.match(data, body).group()  # type: ignore[union-attr]
            after = body + len(digits)
            if after >= n and len(data) - j < _MAX_HELD:
                self._held = data[j:]  # the number may go on in the next chunk
                break
            if digits in _BLOCKED_OSC:
                self._dropping = True
            else:
                out.append(data[j:after])
            i = after
        return "".join(out)

    def flush(self) -> str:
        held, self._held = self._held, ""
        return "" if self._dropping else held


class PassthroughSink(Sink):
    """Recorded terminal output on stdout (`restore_terminal`: stdout is a terminal)."""

    def __init__(
        self, stdout: BinaryIO, stderr: TextIO, *, safe: bool, restore_terminal: bool
    ) -> None:
        self.output = Output(stdout)
        self.frame_interval = FRAME_INTERVAL if restore_terminal else ASAP
        self._stderr = stderr
        self._filter = OscFilter() if safe else None
        self._restore = restore_terminal

    def write(self, events: list[Event]) -> None:
        parts = []
        for event in events:
            if event.get("type") == "text":
                parts.append(event["text"])
            elif (message := describe(event)) is not None:
                self._write(parts)
                parts = []
                self._stderr.write(message + "\n")
                self._stderr.flush()
        self._write(parts)

    def close(self) -> None:
        if self._filter is not None:
            self._write([self._filter.flush()], filtered=True)
        if self._restore:
            self.output.write(RESTORE_TERMINAL)

    def _write(self, parts: list[str], filtered: bool = False) -> None:
        text = "".join(parts)
        if self._filter is not None and not filtered:
            text = self._filter.feed(text)
        if text:
            self.output.write(text.encode("utf-8", "replace"))
