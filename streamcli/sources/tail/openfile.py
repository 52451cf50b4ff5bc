"""One open file being read: its identity, read offset and unfinished line."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator

from streamcli.sources.tail.splitter import Split, TailSplitter

READ_SIZE = 1 << 16  # one batch of events per read
READ_LIMIT = 1 << 20  # at most this much per file per check, so other files get a turn
HEAD_BYTES = 64  # the first bytes, kept to notice a file rewritten past the read offset


class OpenFile:
    """A descriptor of a followed file (the current one, or an old one after rotation)."""

    def __init__(self, fd: int, st: os.stat_result, offset: int, now: float) -> None:
        self.fd: int | None = fd
        self.dev = st.st_dev
        self.ino = st.st_ino
        self.regular = stat.S_ISREG(st.st_mode)
        self.access = (st.st_mode, st.st_uid, st.st_gid)  # a change may revoke reading
        self.offset = offset
        self.splitter = TailSplitter()
        self.last_data = now  # when bytes last arrived (or the file was opened)
        # /proc and /sys files say their size is 0 and still have content: do not trust it.
        self.size_lies = False
        self.hit_limit = False  # the last read stopped at its limit, not at the end
        self.rewritten = False  # truncated and written again while being read
        self.head = self._read_head()

    @classmethod
    def open(cls, path: str, now: float) -> OpenFile:
        """Open `path` for reading at offset 0 (raises OSError)."""
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            st = os.fstat(fd)
            if stat.S_ISDIR(st.st_mode):
                raise IsADirectoryError(21, "Is a directory")
        except BaseException:
            os.close(fd)
            raise
        return cls(fd, st, 0, now)

    @property
    def identity(self) -> tuple[int, int]:
        return (self.dev, self.ino)

    def same_file(self, st: os.stat_result) -> bool:
        return st.st_ino == self.ino and st.st_dev == self.dev

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def reopen(self, other: OpenFile) -> None:
        """Continue reading through `other`'s descriptor (the same file, opened again)."""
        self.close()
        self.fd, other.fd = other.fd, None
        self.access = other.access

    # -- reading -------------------------------------------------------------

    def truncated(self) -> bool:
        """The file shrank below the read offset, or its first bytes were rewritten."""
        if self.rewritten:
            return True
        if not self.regular or self.fd is None:
            return False
        size = os.fstat(self.fd).st_size
        if self.size_lies:
            return False
        if size < self.offset:
            return True
        return self.offset >= len(self.head) > 0 and self._changed_head()

    def restart(self) -> Split:
        """Read again from the top (after truncation); returns the unfinished line."""
        held = self.splitter.flush()
        self.splitter.reset()
        self.offset = 0
        self.rewritten = False
        self.head = self._read_head()
        return held

    def read(self, now: float, limit: int = READ_LIMIT) -> Iterator[Split]:
        """The lines that arrived since the last read, one `Split` per read."""
        fd = self.fd
        if fd is None:
            return
        total = 0
        self.hit_limit = False
        while True:
            if total >= limit:
                self.hit_limit = True
                return
            try:
                data = (
                    os.pread(fd, READ_SIZE, self.offset) if self.regular else os.read(fd, READ_SIZE)
                )
            except BlockingIOError:
                return
            if not data:
                return
            start = self.offset
            if self.regular and self._replaced_under(start, data):
                return  # read again from the top (`truncated` says so now)
            self.offset += len(data)
            total += len(data)
            self.last_data = now
            split = self.splitter.feed(data)
            if split.lines:
                yield split
            if self.rewritten or (len(data) < READ_SIZE and self.regular):
                return  # the end, as far as the file knew a moment ago

    def _replaced_under(self, start: int, data: bytes) -> bool:
        """Whether `data`, just read at `start`, came from what replaced the file's content.

        A writer may truncate the file and write past the read offset between two reads;
        the first bytes then differ from those kept. If `data` is what the file now holds
        at `start`, it is the new content's middle: dropped, read again from the top.
        Otherwise it was read before the truncation and was the file's: kept, and marked
        so the top is read next. Updates the kept first bytes.
        """
        assert self.fd is not None
        head = os.pread(self.fd, HEAD_BYTES, 0)
        if start == 0 or self.size_lies or head.startswith(self.head):
            self.head = head
            return False
        self.rewritten = True
        return os.pread(self.fd, len(data), start) == data

    def _read_head(self) -> bytes:
        if not self.regular or self.fd is None:
            return b""
        return os.pread(self.fd, HEAD_BYTES, 0)

    def _changed_head(self) -> bool:
        assert self.fd is not None
        return os.pread(self.fd, len(self.head), 0) != self.head
