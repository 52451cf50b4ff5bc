"""Where reading starts: the last N lines of a file, or line N onwards (`-n N`, `-n +N`).

Both are found on the bytes alone (counting newlines in blocks, backwards from the end or
forwards from the start), so a huge file costs only the blocks that hold those lines.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from streamcli.errors import BadInput

BLOCK = 1 << 16


@dataclass(frozen=True)
class StartAt:
    """`-n N` (the last N lines) or `-n +N` (from line N, counting from 1)."""

    count: int = 10
    from_start: bool = False

    @classmethod
    def parse(cls, text: str) -> StartAt:
        """Read `-n`'s value: ``N``, ``-N`` (the same) or ``+N``."""
        value = text.strip()
        from_start = value.startswith("+")
        digits = value[1:] if value[:1] in "+-" and value else value
        if not digits.isdigit():
            raise BadInput(f"invalid number of lines: {text!r} (use N or +N)")
        return cls(int(digits), from_start)

    @property
    def lines_to_skip(self) -> int:
        """With `from_start`: how many lines come before the first one shown."""
        return max(self.count - 1, 0)


def last_lines_offset(fd: int, size: int, count: int) -> int:
    """The offset at which the last `count` lines of the file's first `size` bytes begin.

    A last line without a newline counts as a line, as in tail.
    """
    if count <= 0 or size <= 0:
        return size
    end = size
    if os.pread(fd, 1, size - 1) == b"\n":
        end -= 1  # that newline ends the last line; it does not start another
    seen = 0
    while end > 0:
        start = max(end - BLOCK, 0)
        block = os.pread(fd, end - start, start)
        found = block.count(b"\n")
        if seen + found >= count:
            index = len(block)
            for _ in range(count - seen):
                index = block.rindex(b"\n", 0, index)
            return start + index + 1
        seen += found
        end = start
    return 0


def skip_lines_offset(fd: int, count: int) -> int:
    """The offset just after the first `count` lines (the end, if there are fewer)."""
    offset = 0
    seen = 0
    while seen < count:
        block = os.pread(fd, BLOCK, offset)
        if not block:
            return offset
        found = block.count(b"\n")
        if seen + found >= count:
            index = -1
            for _ in range(count - seen):
                index = block.index(b"\n", index + 1)
            return offset + index + 1
        seen += found
        offset += len(block)
    return offset
