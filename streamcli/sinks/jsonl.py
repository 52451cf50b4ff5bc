"""JSON lines: one event per line, complete lines only, one write per frame.

Into a pipe or a file a frame is written as soon as the pipeline is free to write it;
on a terminal, per frame of the frame clock.
"""

from __future__ import annotations

from typing import BinaryIO

import orjson

from streamcli.events import Event
from streamcli.sanitize import EscapeTable, is_plain
from streamcli.stream import ASAP, FRAME_INTERVAL, Output, Sink

_APPEND_NEWLINE = orjson.OPT_APPEND_NEWLINE


def _json_escape(code: int) -> str:
    if code > 0xFFFF:  # JSON spells astral characters as a surrogate pair
        code -= 0x10000
        high, low = 0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF)
        return f"\\u{high:04x}\\u{low:04x}"
    return f"\\u{code:04x}"


# Characters orjson leaves raw that a terminal may act on (DEL, C1 and format characters,
# separators, invisible ones: the sanitizer's categories), as JSON escapes.
_JSON_ESCAPES = EscapeTable(_json_escape)


def escape_for_terminal(buffer: bytes | bytearray) -> bytes | bytearray:
    """JSON lines with every character unsafe on a terminal written as a JSON escape."""
    if buffer.isascii():
        return buffer.replace(b"\x7f", b"\\u007f") if b"\x7f" in buffer else buffer
    text = buffer.decode("utf-8")
    if is_plain(text):
        return buffer
    return text.translate(_JSON_ESCAPES).encode("utf-8")


class JsonlSink(Sink):
    """Writes events as JSON lines.

    With `escape_controls` (stdout is a terminal) characters a terminal would act on are
    written as JSON escapes, which keeps the JSON identical in meaning.
    """

    shows_errors = False

    def __init__(
        self, stream: BinaryIO, *, escape_controls: bool = False, label: str = "the output"
    ) -> None:
        self.output = Output(stream)
        self.label = label
        self.frame_interval = FRAME_INTERVAL if escape_controls else ASAP
        self._escape_controls = escape_controls

    def write(self, events: list[Event]) -> None:
        # one growing buffer: many small bytes objects churn malloc
        buffer: bytes | bytearray = bytearray()
        dumps = orjson.dumps
        for event in events:
            buffer += dumps(event, option=_APPEND_NEWLINE)
        if self._escape_controls:
            buffer = escape_for_terminal(buffer)
        self.output.write(buffer)
