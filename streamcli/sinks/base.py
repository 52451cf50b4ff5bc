"""What every sink provides, and the counting writer they write through."""

from __future__ import annotations

from typing import BinaryIO

from streamcli.events import Event

FRAME_INTERVAL = 1 / 30
ASAP = 0.0  # no frame clock: written as soon as the pump is free (pipes and files)


class Output:
    """A binary stream written once per frame: write, flush, and count.

    The counts (`writes`, `bytes`) are what `streamcli bench` reports and what the
    benchmarks check ("at most one write per frame").
    """

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.writes = 0
        self.bytes = 0

    def write(self, data: bytes | bytearray) -> None:
        if not data:
            return
        self.writes += 1
        self.bytes += len(data)
        self.stream.write(data)
        self.stream.flush()


class Sink:
    """Where a stream ends up. The pipeline calls `write` once per frame.

    `frame_interval` is the shortest time between frames the sink wants (`ASAP` for
    bytes into a pipe or a file: each frame as soon as the previous one is written);
    `shows_errors` says whether `error` events reach the user's eyes through this sink
    (if not, the pipeline prints them on stderr itself); `label` names it in an error
    message ("cannot write the recording: …").
    """

    frame_interval: float = FRAME_INTERVAL
    shows_errors: bool = True
    label: str = "the output"

    def write(self, events: list[Event]) -> None:
        """Write one frame: every event that arrived since the last one, in order."""
        raise NotImplementedError

    def next_tick(self) -> float | None:
        """Monotonic time of the next animation tick (a spinner), or None."""
        return None

    def tick(self) -> None:
        """Advance animations; called at `next_tick` when no events arrived."""

    def suspend(self) -> None:
        """The terminal is needed for a question: clear any live display until `resume`."""

    def resume(self) -> None:
        """The question was answered: draw the live display again."""

    def close(self) -> None:
        """Flush what is held and leave the terminal as it was found."""
