"""Reading a byte stream as batches of lines, as fast as the data arrives.

Each read takes whatever is available (up to 64 KiB), so a file is read in large batches
and a live pipe delivers each line as soon as it is complete. Lines are split on ``\\n``
as bytes; a final line without a newline is delivered at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

READ_SIZE = 1 << 16


class LineReader:
    """A byte stream read as batches of lines, as fast as the data arrives."""

    def __init__(self, stream: BinaryIO, read_size: int = READ_SIZE) -> None:
        self._stream = stream
        self._read_size = read_size
        self._buffer = b""  # read but not yet delivered
        self._eof = False

    def first_line(self) -> bytes:
        """The first line (without consuming it), for recognising the format."""
        while b"\n" not in self._buffer and not self._eof:
            self._fill()
        return self._buffer.split(b"\n", 1)[0]

    def batches(self) -> Iterator[list[bytes]]:
        """Complete lines, without their newlines, in batches as they become available."""
        while True:
            lines = self._buffer.split(b"\n")
            self._buffer = lines.pop()
            if lines:
                yield lines
            if self._eof:
                if self._buffer:
                    yield [self._buffer]
                    self._buffer = b""
                return
            self._fill()

    def chunks(self) -> Iterator[bytes]:
        """The raw bytes, as they arrive (for input that is not line-oriented)."""
        while True:
            if self._buffer:
                yield self._buffer
                self._buffer = b""
            if self._eof:
                return
            self._fill()

    def _fill(self) -> None:
        # Read at least as much as is already held, so a huge line costs linear time.
        read = getattr(self._stream, "read1", self._stream.read)
        chunk = read(max(self._read_size, len(self._buffer)))
        if chunk:
            self._buffer += chunk
        else:
            self._eof = True
