"""A tool's output, capped: the head and the tail are kept, the middle is counted.

A tool may print gigabytes; memory stays bounded because `HeadTail` keeps only the first
and the last `limit / 2` bytes as they arrive, and the text handed on says how much was
left out: ``[12,345 bytes omitted]``.
"""

from __future__ import annotations

DEFAULT_LIMIT = 64 * 1024


class HeadTail:
    """Bytes written in pieces; only the first and last `limit // 2` are kept."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = max(limit, 2)
        self._head = bytearray()
        self._tail = bytearray()
        self.total = 0

    def write(self, data: bytes) -> None:
        self.total += len(data)
        half = self.limit // 2
        room = half - len(self._head)
        if room > 0:
            self._head += data[:room]
            data = data[room:]
        if data:
            self._tail += data
            if len(self._tail) > 2 * (self.limit - half):  # trim now and then, not per write
                del self._tail[: len(self._tail) - (self.limit - half)]

    @property
    def omitted(self) -> int:
        return max(0, self.total - self.limit)

    def text(self) -> str:
        """The kept bytes as text (invalid UTF-8 replaced), with the omission marked."""
        if self.total <= self.limit:
            return (bytes(self._head) + bytes(self._tail)).decode("utf-8", "replace")
        keep = self.limit - self.limit // 2
        head = _cut_before_partial(bytes(self._head))
        tail = _cut_after_partial(bytes(self._tail[-keep:]))
        return (
            head.decode("utf-8", "replace")
            + f"\n[{self.omitted:,} bytes omitted]\n"
            + tail.decode("utf-8", "replace")
        )


def cap(text: str, limit: int = DEFAULT_LIMIT) -> str:
    """`text` cut to about `limit` bytes of UTF-8, its head and tail kept."""
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= limit:
        return text
    buffer = HeadTail(limit)
    buffer.write(data)
    return buffer.text()


def _cut_before_partial(data: bytes) -> bytes:
    """`data` without a UTF-8 sequence cut off at its end."""
    end = len(data)
    start = end
    while start > 0 and end - start < 3 and data[start - 1] & 0xC0 == 0x80:
        start -= 1  # back over continuation bytes to the sequence's lead byte
    if start == 0:
        return data
    lead = data[start - 1]
    need = 4 if lead >= 0xF0 else 3 if lead >= 0xE0 else 2 if lead >= 0xC0 else 1
    return data[: start - 1] if end - (start - 1) < need else data


def _cut_after_partial(data: bytes) -> bytes:
    """`data` without continuation bytes of a sequence that began before it."""
    start = 0
    while start < len(data) and start < 3 and data[start] & 0xC0 == 0x80:
        start += 1
    return data[start:]
