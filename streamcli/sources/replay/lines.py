"""Reading a byte stream as batches of lines, as fast as the data arrives.

Each read takes whatever is available (up to 64 KiB), so a file is read in large batches
and a live pipe delivers each line as soon as it is complete. Lines are split on ``\\n``
as bytes; a final line without a newline is delivered at the end. Memory stays bounded
whatever arrives: a line longer than `LINE_LIMIT` is an error naming the limit, and the
first line is looked at only as far as `PEEK_LIMIT` (enough to recognise a format).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from streamcli.capped import LINE_LIMIT, MIB, too_large

READ_SIZE = 1 << 16
PEEK_LIMIT = 1 * MIB  # how much of the first line recognising a format looks at


class LineReader:
    """A byte stream read as batches of lines, as fast as the data arrives."""

    def __init__(
        self,
        stream: BinaryIO,
        name: str = "the input",
        read_size: int = READ_SIZE,
        line_limit: int = LINE_LIMIT,
    ) -> None:
        self._stream = stream
        self._name = name
        self._read_size = read_size
        self._line_limit = line_limit
        self._buffer = b""  # read but not yet delivered
        self._eof = False

    def first_line(self) -> bytes:
        """The first line, or its first `PEEK_LIMIT` bytes (without consuming them), for
        recognising the format."""
        while b"\n" not in self._buffer and not self._eof and len(self._buffer) < PEEK_LIMIT:
            self._fill(PEEK_LIMIT - len(self._buffer))
        return self._buffer[:PEEK_LIMIT].split(b"\n", 1)[0]

    def batches(self) -> Iterator[list[bytes]]:
        """Complete lines, without their newlines, in batches as they become available."""
        while True:
            lines = self._buffer.split(b"\n")
            self._buffer = lines.pop()
            if lines:
                yield lines
            if len(self._buffer) > self._line_limit:
                raise too_large(f"a line of {self._name}", self._line_limit)
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

    def _fill(self, most: int | None = None) -> None:
        # Read at least as much as is already held, so a huge line costs linear time.
        read = getattr(self._stream, "read1", self._stream.read)
        size = max(self._read_size, len(self._buffer))
        chunk = read(size if most is None else min(size, most))
        if chunk:
            self._buffer += chunk
        else:
            self._eof = True
