"""JSON lines: one event per line, complete lines only, one write per frame.

Into a pipe or a file a frame is written as soon as the pipeline is free to write it;
on a terminal, per frame of the frame clock.
"""

from __future__ import annotations

import re
from typing import BinaryIO

import orjson

from streamcli.events import Event
from streamcli.sinks.base import ASAP, FRAME_INTERVAL, Output, Sink

_APPEND_NEWLINE = orjson.OPT_APPEND_NEWLINE

# Characters orjson leaves raw that a terminal may act on: DEL, C1 controls, bidi
# controls and tag characters, matched in their UTF-8 form.
_TERMINAL_UNSAFE = re.compile(
    rb"\x7f|\xc2[\x80-\x9f]|\xe2\x80[\x8b\x8e\x8f\xa8-\xae]|\xe2\x81[\xa0\xa6-\xa9]"
    rb"|\xef\xbb\xbf|\xd8\x9c|\xf3\xa0[\x80\x81][\x80-\xbf]"
)


def _json_escape(match: re.Match[bytes]) -> bytes:
    code = ord(match.group().decode())
    if code > 0xFFFF:  # JSON spells astral characters as a surrogate pair
        code -= 0x10000
        return b"\\u%04x\\u%04x" % (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF))
    return b"\\u%04x" % code


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
            buffer = _TERMINAL_UNSAFE.sub(_json_escape, buffer)
        self.output.write(buffer)
