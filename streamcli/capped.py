"""Reading what a user hands streamcli (a file, stdin) within a size: past it, a clear
error naming the limit (`BadInput`, exit 2) instead of memory running out.

Whatever is read whole goes through `read_capped`; whatever may be long is read a line
at a time (`capped_lines`), each line within a size of its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import BinaryIO

from streamcli.errors import BadInput

KIB = 1 << 10
MIB = 1 << 20
PROMPT_LIMIT = 16 * MIB  # a prompt: piped on stdin, a --prompt-file, /edit's text
CONFIG_LIMIT = 1 * MIB  # config.toml, tools.toml, mcp.json
KEY_LIMIT = 64 * KIB  # a key file
LINE_LIMIT = 64 * MIB  # one line of a recording or of a saved bench run
_READ = 1 << 16


def size_words(size: int) -> str:
    """`16 MiB`, `64 KiB`, `100 bytes`."""
    for unit, name in ((MIB, "MiB"), (KIB, "KiB")):
        if size >= unit and size % unit == 0:
            return f"{size // unit} {name}"
    return f"{size} bytes"


def too_large(what: str, limit: int) -> BadInput:
    """The error for `what` (e.g. "the prompt file p.txt") past `limit` bytes."""
    return BadInput(f"{what} is larger than {size_words(limit)}, the most streamcli reads")


def read_capped(source: str | os.PathLike[str] | BinaryIO, limit: int, what: str) -> bytes:
    """All of `source` (a path, or an open binary stream, read to its end), or `too_large`
    once more than `limit` bytes came. An `OSError` is the caller's to word."""
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as stream:
            return read_capped(stream, limit, what)
    parts: list[bytes] = []
    held = 0
    while held <= limit:
        part = source.read(min(_READ, limit + 1 - held))
        if not part:
            return b"".join(parts)
        parts.append(part)
        held += len(part)
    raise too_large(what, limit)


def capped_lines(stream: BinaryIO, limit: int, what: str) -> Iterator[bytes]:
    """The lines of `stream` (with their newlines), or `too_large` for a line longer than
    `limit` bytes (`what` names the file)."""
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        if len(line) > limit and not line.endswith(b"\n"):
            raise too_large(f"a line of {what}", limit)
        yield line
