"""Plain text: the answer (or the log lines) on stdout, everything else as short lines on stderr.

Into a pipe or a file the text is written exactly as received, as soon as the pipeline
is free to write it (no frame clock: a write there costs microseconds), and ends with a
newline if it does not end with one (`--json` keeps the exact text); on a terminal it
passes through the sanitizer first and is written per frame. Each frame is one write to
stdout.
"""

from __future__ import annotations

from typing import BinaryIO, TextIO

from streamcli.events import Event
from streamcli.sanitize import Sanitizer
from streamcli.sinks.present import EMPTY_ANSWER_LINE, describe, file_header, file_prefix
from streamcli.stream import ASAP, FRAME_INTERVAL, Output, Sink


class TextSink(Sink):
    """The answer or the log lines as plain text on stdout, the rest on stderr."""

    def __init__(
        self,
        stdout: BinaryIO,
        stderr: TextIO,
        *,
        sanitize_output: bool,
        terminal: bool,
        line_labels: str = "none",
    ) -> None:
        self.output = Output(stdout)
        self.frame_interval = FRAME_INTERVAL if terminal else ASAP
        self._stderr = stderr
        self._terminal = terminal
        self._text_sanitizer = Sanitizer() if sanitize_output else None
        self._reasoning_sanitizer = Sanitizer()
        self._in_reasoning = False
        self._ends_with_newline = True
        self._line_labels = line_labels
        self._last_file: str | None = None
        self._answered = False  # a visible word of answer was written

    def write(self, events: list[Event]) -> None:
        parts: list[str] = []
        for event in events:
            kind = event.get("type")
            if kind == "text":
                parts.append(event["text"])
                self._answered = self._answered or bool(event["text"].strip())
            elif kind == "line":
                if self._line_labels != "none":
                    self._label(event["file"], parts)
                parts.append(event["text"])
                parts.append("\n")
            else:
                self._write_stdout(parts)
                parts = []
                self._side_channel(event)
        self._write_stdout(parts)

    def _label(self, file: str, parts: list[str]) -> None:
        """Say which file a line comes from: a header when it changes, or a prefix."""
        if self._line_labels == "prefix":
            parts.append(file_prefix(file))
        elif file != self._last_file:
            parts.append("" if self._last_file is None else "\n")
            parts.append(file_header(file) + "\n")
        self._last_file = file

    def suspend(self) -> None:
        """A question is asked on the terminal: end the half-written lines there first."""
        self._end_reasoning()
        if self._terminal and not self._ends_with_newline:
            self._write_stdout(["\n"], sanitized=True)

    def close(self) -> None:
        held = self._text_sanitizer.flush() if self._text_sanitizer else ""
        self._write_stdout([held], sanitized=True)
        if not self._ends_with_newline:  # a shell prompt must not be glued onto the answer
            self._write_stdout(["\n"], sanitized=True)
        self._end_reasoning()

    def _write_stdout(self, parts: list[str], sanitized: bool = False) -> None:
        text = "".join(parts)
        if text and self._text_sanitizer is not None and not sanitized:
            text = self._text_sanitizer.feed(text)
        if not text:
            return
        self._end_reasoning()
        self._ends_with_newline = text.endswith("\n")
        self.output.write(text.encode("utf-8", "replace"))

    def _side_channel(self, event: Event) -> None:
        """Events that are not the answer go to stderr, one short line each."""
        kind = event.get("type")
        if kind == "reasoning":
            self._in_reasoning = True
            self._stderr.write(self._reasoning_sanitizer.feed(event["text"]))
            self._stderr.flush()
            return
        message = describe(event)
        if kind == "end" and event.get("reason") == "stop" and not self._answered:
            message = EMPTY_ANSWER_LINE  # into a pipe, nothing else would say so
        if message is not None:
            self._end_reasoning()
            self._stderr.write(message + "\n")
            self._stderr.flush()

    def _end_reasoning(self) -> None:
        if self._in_reasoning:
            self._in_reasoning = False
            self._stderr.write(self._reasoning_sanitizer.flush() + "\n")
            self._stderr.flush()
