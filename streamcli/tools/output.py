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
        return _joined(bytes(self._head), self.omitted, bytes(self._tail[-keep:]))


def cap(text: str, limit: int = DEFAULT_LIMIT) -> str:
    """`text` cut to about `limit` bytes of UTF-8, its head and tail kept. Only the head
    and the tail are encoded: a long text is not copied whole."""
    limit = max(limit, 2)
    total = _utf8_length(text)
    if total <= limit:
        return text
    half = limit // 2
    keep = limit - half
    head = text[:half].encode("utf-8", "surrogatepass")[:half]
    tail = text[-keep:].encode("utf-8", "surrogatepass")[-keep:]
    return _joined(head, total - limit, tail)


def _utf8_length(text: str) -> int:
    if text.isascii():
        return len(text)
    step = 1 << 20
    return sum(
        len(text[i : i + step].encode("utf-8", "surrogatepass")) for i in range(0, len(text), step)
    )


def _joined(head: bytes, omitted: int, tail: bytes) -> str:
    return (
        _cut_before_partial(head).decode("utf-8", "replace")
        + f"\n[{omitted:,} bytes omitted]\n"
        + _cut_after_partial(tail).decode("utf-8", "replace")
    )


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
