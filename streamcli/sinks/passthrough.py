"""Recorded terminal output (asciicast) written as recorded, minus the dangerous parts.

Only the escape sequences on `escapes`' allow-list go through unless the user asks for
`--unsafe`; the filter keeps its state between chunks, so a sequence split across two
events is judged whole. On a terminal, output is written per frame and the modes a
recording may have switched on are switched off again at the end; into a pipe or a file,
as soon as the pipeline is free to write it.
"""

from __future__ import annotations

from typing import BinaryIO, TextIO

from streamcli.events import Event
from streamcli.sinks.escapes import RESTORE_TERMINAL, EscapeFilter
from streamcli.sinks.present import describe
from streamcli.stream import ASAP, FRAME_INTERVAL, Output, Sink

__all__ = ["RESTORE_TERMINAL", "PassthroughSink"]


class PassthroughSink(Sink):
    """Recorded terminal output on stdout, through the escape filter (`restore_terminal`:
    stdout is a terminal)."""

    def __init__(
        self, stdout: BinaryIO, stderr: TextIO, *, safe: bool, restore_terminal: bool
    ) -> None:
        self.output = Output(stdout)
        self.frame_interval = FRAME_INTERVAL if restore_terminal else ASAP
        self._stderr = stderr
        self._filter = EscapeFilter() if safe else None
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
