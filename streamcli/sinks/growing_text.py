"""Text that only grows at its end, read mostly near its end, at a cost that does not grow.

Appending to a Python string copies it whole, so a block that grows by a little every
frame would cost its whole length per frame. `GrowingText` keeps the pieces as they came
and joins them only when the whole text is asked for (the join is kept); its end, its
start and a slice near the end are read from the pieces, at the cost of what is read.
"""

from __future__ import annotations


class GrowingText:
    """An append-only string kept as pieces."""

    def __init__(self, text: str = "") -> None:
        self._pieces: list[str] = [text] if text else []
        self._size = len(text)
        self._visible = bool(text) and not text.isspace()

    def __len__(self) -> int:
        return self._size

    @property
    def visible(self) -> bool:
        """Whether any character is not white space."""
        return self._visible

    def append(self, text: str) -> None:
        if text:
            self._pieces.append(text)
            self._size += len(text)
            self._visible = self._visible or not text.isspace()

    def text(self) -> str:
        """The whole text (joined once, until the next append)."""
        if len(self._pieces) > 1:
            self._pieces = ["".join(self._pieces)]
        return self._pieces[0] if self._pieces else ""

    def end(self, count: int) -> str:
        """The last `count` characters."""
        return self.slice(max(0, self._size - count), self._size)

    def start(self, count: int) -> str:
        """The first `count` characters."""
        parts, taken = [], 0
        for piece in self._pieces:
            if taken >= count:
                break
            parts.append(piece[: count - taken])
            taken += len(parts[-1])
        return "".join(parts)

    def slice(self, begin: int, stop: int) -> str:
        """``text()[begin:stop]``, read from the end: the cost is what lies after `begin`."""
        parts: list[str] = []
        end = self._size
        for piece in reversed(self._pieces):
            if end <= begin:
                break
            start = end - len(piece)
            parts.append(piece[max(begin, start) - start : min(stop, end) - start])
            end = start
        return "".join(reversed(parts))
