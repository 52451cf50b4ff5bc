"""Framing of streamed HTTP bodies: Server-Sent Events and newline-delimited JSON.

Both framers are fed raw bytes as they arrive from the network and return what is
complete. The SSE parser follows the WHATWG rules: UTF-8 decoded incrementally (a
character split across reads arrives whole; invalid bytes become U+FFFD), one leading BOM
stripped, lines ended by CRLF, LF or CR alone (a CR at the end of a read may be the first
half of a CRLF), comments ignored, ``field:value`` split at the first colon with one
leading space removed, and an event dispatched only on a blank line. NDJSON is split on
``\\n`` as bytes, so the JSON decoder sees whole lines.
"""

from __future__ import annotations

import codecs
import re
from typing import NamedTuple

MAX_EVENT_BYTES = 16 * 1024 * 1024  # one event or line larger than this is refused

_LINE_BREAK = re.compile("\r\n|\r|\n")


class WireError(ValueError):
    """The byte stream cannot be framed (an event or line too large)."""


class SSEEvent(NamedTuple):
    """One server-sent event: its name and its data."""

    event: str  # the `event:` field, "message" when absent
    data: str


class SSEParser:
    """Turns the bytes of a `text/event-stream` body into events."""

    def __init__(self, max_event: int = MAX_EVENT_BYTES) -> None:
        self._decode = codecs.getincrementaldecoder("utf-8")("replace").decode
        self._max = max_event
        self._partial = ""  # the unfinished last line
        self._after_cr = False  # the previous text ended with CR: a leading LF is its pair
        self._started = False  # the BOM check is done
        self._data: list[str] = []
        self._size = 0
        self._event = ""
        self._error: list[str] = []  # llama.cpp's non-standard `error:` field
        self.last_id = ""
        self.comments = 0
        self.unknown = 0  # lines whose field is none of SSE's (a body that is not SSE)

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """Parse a chunk of the body; return the events it completed."""
        return self._text(self._decode(chunk))

    def close(self) -> list[SSEEvent]:
        """The body ended. An unterminated event is dropped, except a final `[DONE]`."""
        events = self._text(self._decode(b"", True))
        line = self._partial
        self._partial = ""
        if line:
            self._field(line)
        if self._data == ["[DONE]"]:  # some servers omit the blank line after it
            events.append(SSEEvent(self._event or "message", "[DONE]"))
        self._data = []
        return events

    def _text(self, text: str) -> list[SSEEvent]:
        if not text:
            return []
        if not self._started:
            self._started = True
            if text[0] == "\ufeff":
                text = text[1:]
        if self._after_cr and text[0] == "\n":
            text = text[1:]
        self._after_cr = text.endswith("\r")
        lines = _LINE_BREAK.split(text) if "\r" in text else text.split("\n")
        if self._partial:
            lines[0] = self._partial + lines[0]
        self._partial = lines.pop()
        if len(self._partial) > self._max:
            raise WireError(f"a line longer than {self._max // (1024 * 1024)} MiB")
        events: list[SSEEvent] = []
        for line in lines:
            if line:
                self._field(line)
            elif self._data:
                events.append(SSEEvent(self._event or "message", "\n".join(self._data)))
                self._data = []
                self._size = 0
                self._event = ""
                self._error = []
            else:
                if self._error:
                    events.append(SSEEvent("error", "\n".join(self._error)))
                    self._error = []
                self._event = ""
        return events

    def _field(self, line: str) -> None:
        if line[0] == ":":
            self.comments += 1
            return
        name, colon, value = line.partition(":")
        if colon and value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._data.append(value)
            self._size += len(value)
            if self._size > self._max:
                raise WireError(f"an event larger than {self._max // (1024 * 1024)} MiB")
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self.last_id = value
        elif name == "error":
            self._error.append(value)
        elif name != "retry":  # ignored (we do not reconnect), but counted
            self.unknown += 1


class NDJSONSplitter:
    """Splits a byte stream into lines on ``\\n`` (NDJSON); the newline is not kept."""

    def __init__(self, max_line: int = MAX_EVENT_BYTES) -> None:
        self._parts: list[bytes] = []  # pieces of the unfinished line
        self._size = 0
        self._max = max_line

    def feed(self, chunk: bytes) -> list[bytes]:
        if b"\n" not in chunk:
            if chunk:
                self._hold(chunk)
            return []
        lines = chunk.split(b"\n")
        if self._parts:
            self._parts.append(lines[0])
            lines[0] = b"".join(self._parts)
            self._parts = []
            self._size = 0
        last = lines.pop()
        if last:
            self._hold(last)
        return lines

    def close(self) -> list[bytes]:
        """The stream ended: a last line without a newline is still a line."""
        rest = b"".join(self._parts)
        self._parts = []
        self._size = 0
        return [rest] if rest.strip() else []

    def _hold(self, piece: bytes) -> None:
        self._parts.append(piece)
        self._size += len(piece)
        if self._size > self._max:
            raise WireError(f"a line longer than {self._max // (1024 * 1024)} MiB")
