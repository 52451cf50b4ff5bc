"""A stdio MCP server's stderr, kept in ``$XDG_STATE_HOME/streamcli/mcp/NAME.log``.

The directory is 0700 and the log 0600 (existing ones are brought to that); a symlink at
the log's path is refused, not followed. What the server writes passes through a pipe and
a thread of ours, which masks what the chat gives it to mask (every key streamcli knows of:
`redact.known_secrets`) and
moves the log to NAME.log.1 once it passes `LIMIT`, during a call as at a start.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, TextIO

from streamcli.paths import open_private

LIMIT = 1024 * 1024  # a log past this size is moved to NAME.log.1 (one older log kept)
LINE_LIMIT = 64 * 1024  # a longer line is cut (and masked) in pieces


class LogRefused(OSError):
    """The log's path is a symlink (or cannot be opened)."""


class ServerLog:
    """One server's log: `errlog` is what the server's stderr is given."""

    def __init__(self, directory: Path, file_name: str, mask: Callable[[str], str]) -> None:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(directory, 0o700)
        self.path = directory / f"{file_name}.log"
        self.start = 0  # where this run's lines begin
        self._file = self._open(rotate=True)
        self._redact = mask
        read, write = os.pipe()
        self.errlog: TextIO = os.fdopen(write, "w")
        self._reader = threading.Thread(
            target=self._pump, args=(read,), name="streamcli-mcp-log", daemon=True
        )

    def begin(self, name: str) -> None:
        """Write the start line and start passing stderr through."""
        self._file.write(f"--- streamcli started {name} at {time.ctime()}\n".encode())
        self.start = self._file.tell()
        self._reader.start()

    def close(self) -> None:
        """Our end of the pipe: the log ends when the server's processes close theirs."""
        with contextlib.suppress(OSError):
            self.errlog.close()

    def _open(self, rotate: bool) -> IO[bytes]:
        with contextlib.suppress(OSError):
            if rotate and os.lstat(self.path).st_size > LIMIT:
                self.path.replace(self.path.with_name(self.path.name + ".1"))
        try:
            fd = open_private(self.path)
        except OSError as exc:
            if os.path.islink(self.path):
                raise LogRefused(f"refusing the log {self.path}: it is a symlink") from exc
            raise LogRefused(f"cannot open the log {self.path}: {exc.strerror}") from exc
        return os.fdopen(fd, "ab", buffering=0)

    def _pump(self, read: int) -> None:
        """Line by line (a key never spans lines): masked, then written."""
        held = b""
        try:
            while data := os.read(read, 65536):
                *lines, held = (held + data).split(b"\n")
                for line in lines:
                    self._write(line + b"\n")
                if len(held) > LINE_LIMIT:  # no newline coming: cut it
                    self._write(held + b"\n")
                    held = b""
            if held:
                self._write(held + b"\n")
        except OSError:
            pass
        finally:
            os.close(read)
            self._file.close()

    def _write(self, line: bytes) -> None:
        self._file.write(self._redact(line.decode("utf-8", "replace")).encode())
        if self._file.tell() > LIMIT:  # rotate now, not only at the next start
            self._file.close()
            self.path.replace(self.path.with_name(self.path.name + ".1"))
            self._file = self._open(rotate=False)
            self.start = 0
