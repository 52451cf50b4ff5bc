"""The built-in tools: `time`, `read_file` and `list_dir`. They only read, so they never ask.

`read_file` and `list_dir` stay inside the current directory: a path is resolved with
`os.path.realpath` (following `..` and symlinks) and refused unless the result is the
directory itself or lies below it, compared as whole path components (``/work/app`` does
not contain ``/work/application``). The resolved path is then opened *beneath* the
current directory's descriptor (`beneath.open_beneath`), so a directory swapped for a
symlink between the check and the open cannot lead it out. A file is opened without
blocking and must be a regular file of UTF-8 text (a character cut by the size limit
aside); a large one is read as its head and tail.
"""

from __future__ import annotations

import codecs
import datetime as dt
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from streamcli.tools.beneath import Escape, open_beneath
from streamcli.tools.output import DEFAULT_LIMIT, cap
from streamcli.tools.process import Outcome
from streamcli.tools.spec import CallLimits, Runner, Tool, ToolFailure


@dataclass
class InProcess(Runner):
    """A built-in tool: a function of this process that only reads (it never asks)."""

    function: Callable[[dict[str, Any]], str]

    def run(self, arguments: dict[str, Any], limits: CallLimits) -> Outcome:
        try:
            return Outcome(True, cap(self.function(arguments), limits.limit))
        except ToolFailure as exc:
            return Outcome(False, cap(str(exc), limits.limit))
        except Exception as exc:  # a bug in a built-in tool must not end the chat
            name = getattr(self.function, "__name__", "a built-in tool")
            return Outcome(False, f"internal error in {name}: {type(exc).__name__}: {exc}")

    def described(self) -> str:
        return "built into streamcli"


LIST_LIMIT = 1000  # entries listed by list_dir


def current_time(arguments: dict[str, Any]) -> str:
    zone_name = arguments.get("timezone")
    if zone_name:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            zone = ZoneInfo(str(zone_name))
        except (ZoneInfoNotFoundError, ValueError):
            raise ToolFailure(f"unknown time zone {zone_name!r} (use an IANA name)") from None
        now = dt.datetime.now(zone)
        label = str(zone_name)
    else:
        now = dt.datetime.now().astimezone()
        label = "local time"
    seconds = now.replace(microsecond=0)
    return f"{seconds.isoformat()} ({seconds:%A}, {label}, {now.tzname()})"


def inside(path: str, root: str | None = None) -> str:
    """`path` resolved; raises `ToolFailure` unless it is inside `root` (the current directory)."""
    base = os.path.realpath(root or os.getcwd())
    try:
        target = os.path.realpath(os.path.join(base, path))
    except (ValueError, OSError) as exc:
        raise ToolFailure(f"bad path {path!r}: {exc}") from None
    if target != base and not target.startswith(base.rstrip(os.sep) + os.sep):
        raise ToolFailure(
            f"{path!r} is outside the current directory; only paths inside it can be read"
        )
    return target


def _open_inside(path: str, flags: int, verb: str) -> int:
    """A descriptor for `path`, which must be inside the current directory and stay so."""
    relative = os.path.relpath(inside(path), os.path.realpath(os.getcwd()))
    try:
        root = os.open(".", os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as exc:
        raise ToolFailure(f"cannot open the current directory: {exc.strerror or exc}") from None
    try:
        return open_beneath(root, relative, flags)
    except Escape:
        raise ToolFailure(
            f"{path!r} changed while being opened (a symbolic link appeared on the way); "
            "only paths inside the current directory can be read"
        ) from None
    except OSError as exc:
        raise ToolFailure(f"cannot {verb} {path!r}: {exc.strerror or exc}") from None
    finally:
        os.close(root)


def read_file(arguments: dict[str, Any]) -> str:
    path = str(arguments.get("path") or "")
    if not path:
        raise ToolFailure("no path given")
    fd = _open_inside(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0), "read")
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        what = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise ToolFailure(f"{path!r} is {what}")
    with os.fdopen(fd, "rb") as file:
        data, omitted = _head_and_tail(file, info.st_size, DEFAULT_LIMIT)
    cut = omitted > 0 or len(data) >= DEFAULT_LIMIT  # the limit may fall inside a character
    half = len(data) // 2 if omitted else len(data)
    head = _utf8(data[:half], cut_start=False, cut_end=cut)
    tail = _utf8(data[half:], cut_start=True, cut_end=False) if omitted else ""
    if head is None or tail is None or "\0" in head or "\0" in tail:
        raise ToolFailure(f"{path!r} is not a text file (not UTF-8 text)")
    return f"{head}\n[{omitted:,} bytes omitted]\n{tail}" if omitted else head


def _utf8(data: bytes, *, cut_start: bool, cut_end: bool) -> str | None:
    """`data` decoded as UTF-8, or None when it is not UTF-8 text; a character cut off at
    a cut start or end (at most 3 bytes of it) is left out."""
    if cut_start:
        skip = 0
        while skip < min(3, len(data)) and 0x80 <= data[skip] <= 0xBF:
            skip += 1
        data = data[skip:]
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        return decoder.decode(data, final=not cut_end)
    except UnicodeDecodeError:
        return None


def _head_and_tail(file: Any, size: int, limit: int) -> tuple[bytes, int]:
    """The whole file when it fits in `limit` bytes, else its first and last halves."""
    if size <= limit:
        return file.read(limit), 0
    half = limit // 2
    head = file.read(half)
    file.seek(size - half)
    return head + file.read(half), size - 2 * half


def list_dir(arguments: dict[str, Any]) -> str:
    path = str(arguments.get("path") or ".")
    fd = _open_inside(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0), "list")
    try:
        with os.scandir(fd) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
        lines = [_entry(entry, fd) for entry in entries[:LIST_LIMIT]]
    except OSError as exc:
        raise ToolFailure(f"cannot list {path!r}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(entries) > LIST_LIMIT:
        lines.append(f"[{len(entries) - LIST_LIMIT:,} more entries]")
    return "\n".join(lines) if lines else "(empty directory)"


def _entry(entry: os.DirEntry[str], directory: int) -> str:
    try:
        if entry.is_symlink():
            return f"{entry.name} -> {os.readlink(entry.name, dir_fd=directory)}"
        if entry.is_dir():
            return entry.name + "/"
    except OSError:
        pass
    return entry.name


BUILTIN: dict[str, Tool] = {
    tool.name: tool
    for tool in (
        Tool(
            "time",
            "The current date and time, in a given time zone or the local one.",
            {
                "type": "object",
                "properties": {
                    "timezone": {
                        "type": "string",
                        "description": "An IANA time zone such as Europe/Paris "
                        "(default: the local time zone).",
                    }
                },
            },
            InProcess(current_time),
        ),
        Tool(
            "read_file",
            "Read a text file inside the current directory (large files: head and tail).",
            {
                "type": "object",
                "properties": {
                    "path": {
                        "type": "string",
                        "description": "The file's path, relative to the current directory.",
                    }
                },
                "required": ["path"],
            },
            InProcess(read_file),
        ),
        Tool(
            "list_dir",
            "List a directory inside the current directory (directories end with /).",
            {
                "type": "object",
                "properties": {
                    "path": {
                        "type": "string",
                        "description": "The directory, relative to the current directory "
                        "(default: the current directory itself).",
                    }
                },
            },
            InProcess(list_dir),
        ),
    )
}
