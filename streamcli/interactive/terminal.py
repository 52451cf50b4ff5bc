"""The terminal's modes in a session while no prompt is active.

While an answer streams (and between prompts) the terminal is quiet: what is typed is not
echoed into the live display, and is kept for the next prompt as typed, Enter as Enter
(without ICRNL it stays a carriage return, which prompt_toolkit reads as Enter, where the
line discipline would have made it a newline, which is Ctrl-J: a new line in the input).
Ctrl-C still interrupts. A question asked on the terminal (tool approval) and an editor
get the terminal as it was found (`CookedForQuestions`).
"""

from __future__ import annotations

import contextlib
import termios
from typing import Any

from streamcli.events import Event
from streamcli.stream import Sink


class TerminalModes:
    """The modes of the terminal on `fd`: as found, or quiet (see the module)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        try:
            self.found: list[Any] | None = termios.tcgetattr(fd)
        except (termios.error, OSError):
            self.found = None  # not a terminal: nothing to change

    def quiet(self) -> None:
        if self.found is None:
            return
        iflag, oflag, cflag, lflag, ispeed, ospeed, cc = self.found
        cc = list(cc)
        cc[termios.VMIN], cc[termios.VTIME] = 1, 0
        lflag &= ~(termios.ECHO | termios.ICANON)
        self._set([iflag & ~termios.ICRNL, oflag, cflag, lflag, ispeed, ospeed, cc])

    def restore(self) -> None:
        if self.found is not None:
            self._set(self.found)

    def _set(self, attrs: list[Any]) -> None:
        with contextlib.suppress(termios.error, OSError):
            termios.tcsetattr(self.fd, termios.TCSANOW, attrs)  # typed input is kept


class CookedForQuestions(Sink):
    """A turn's sink, with the terminal as found while a question has it (`Hold`)."""

    def __init__(self, sink: Sink, modes: TerminalModes) -> None:
        self.sink = sink
        self.modes = modes
        self.frame_interval = sink.frame_interval
        self.shows_errors = sink.shows_errors
        self.label = sink.label

    def write(self, events: list[Event]) -> None:
        self.sink.write(events)

    def next_tick(self) -> float | None:
        return self.sink.next_tick()

    def tick(self) -> None:
        self.sink.tick()

    def suspend(self) -> None:
        self.sink.suspend()
        self.modes.restore()

    def resume(self) -> None:
        self.modes.quiet()
        self.sink.resume()

    def close(self) -> None:
        self.sink.close()
