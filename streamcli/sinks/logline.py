"""How one log line (a `line` event) looks on a terminal.

The log level is recognised (``ERROR``, ``[warn]``, ``level=info``, glog's ``E0102``…)
and coloured; a structured line (a JSON object on one line, parsed here, when it is
drawn) is shown as ``time level message key=value…``. Which file a line came from is
shown as a ``==> file <==`` header when the file changes, or as a ``file: `` prefix, as
the plain text sink does. With `raw`, the line itself is left untouched. Everything taken
from the line is sanitized and never interpreted as rich markup.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

import orjson
from rich.style import Style
from rich.text import Text

from streamcli.events import Event
from streamcli.sanitize import sanitize
from streamcli.sinks.present import file_header, file_prefix

Level = Literal["trace", "debug", "info", "notice", "warning", "error", "critical"]

LEVEL_NAMES: dict[str, Level] = {
    "trace": "trace",
    "debug": "debug",
    "dbg": "debug",
    "info": "info",
    "inf": "info",
    "information": "info",
    "notice": "notice",
    "warn": "warning",
    "warning": "warning",
    "wrn": "warning",
    "error": "error",
    "err": "error",
    "eror": "error",
    "severe": "error",
    "crit": "critical",
    "critical": "critical",
    "fatal": "critical",
    "panic": "critical",
    "alert": "critical",
    "emerg": "critical",
    "emergency": "critical",
}

# pino and bunyan write the level as a number
_NUMERIC_LEVELS: tuple[tuple[int, Level], ...] = (
    (60, "critical"),
    (50, "error"),
    (40, "warning"),
    (30, "info"),
    (20, "debug"),
    (0, "trace"),
)

_GLOG_LEVELS: dict[str, Level] = {"I": "info", "W": "warning", "E": "error", "F": "critical"}

# Where a level is written in a text line: an upper-case word, a bracketed word,
# key=value, a JSON-ish "level":"…" or glog's one-letter prefix.
_LEVEL_PATTERN = re.compile(
    r"(?P<glog>^[IWEF])\d{4} "
    r"|(?:\b(?:level|lvl|severity|loglevel)[=:]\s*\"?)(?P<kv>[A-Za-z]+)"
    r"|\"(?:level|lvl|severity)\"\s*:\s*\"(?P<json>[A-Za-z]+)\""
    r"|[\[<(](?P<bracket>[A-Za-z]+)[\]>)]"
    r"|(?<![\w./-])(?P<word>TRACE|DEBUG|DBG|INFO|INF|NOTICE|WARN|WARNING|WRN|ERROR|ERR|SEVERE"
    r"|CRIT|CRITICAL|FATAL|PANIC|ALERT|EMERG|EMERGENCY)(?![\w/-])"
)
_SEARCH_LIMIT = 160  # the level is near the start of a line; never scan a whole huge line

LEVEL_STYLES: dict[Level, Style] = {
    "trace": Style(dim=True),
    "debug": Style(color="blue", bold=True),
    "info": Style(color="green", bold=True),
    "notice": Style(color="cyan", bold=True),
    "warning": Style(color="yellow", bold=True),
    "error": Style(color="red", bold=True),
    "critical": Style(color="white", bgcolor="red", bold=True),
}
LINE_STYLES: dict[Level, Style] = {
    "trace": Style(dim=True),
    "debug": Style(dim=True),
    "warning": Style(color="yellow"),
    "error": Style(color="red"),
    "critical": Style(color="red"),
}
_DIM = Style(dim=True)
_HEADER = Style(bold=True)
_PREFIX = Style(color="cyan")

_TIME_KEYS = ("time", "timestamp", "ts", "@timestamp", "datetime", "asctime")
_LEVEL_KEYS = ("level", "lvl", "severity", "levelname", "loglevel", "log.level", "@level")
_MESSAGE_KEYS = ("msg", "message", "@message", "event", "text", "log")


def find_level(text: str) -> tuple[Level, int, int] | None:
    """The level a text log line announces, with where it is written, or None."""
    for match in _LEVEL_PATTERN.finditer(text, 0, min(len(text), _SEARCH_LIMIT)):
        group = match.lastgroup
        word = match.group(group) if group else ""
        if group == "glog":
            return _GLOG_LEVELS[word], match.start(group), match.end(group)
        level = LEVEL_NAMES.get(word.lower())
        if level is not None:
            return level, match.start(group), match.end(group)  # type: ignore[arg-type]
    return None


def level_from_value(value: object) -> Level | None:
    """A structured line's level field (a name, or pino/bunyan's number)."""
    if isinstance(value, str):
        return LEVEL_NAMES.get(value.strip().lower())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        for floor, level in _NUMERIC_LEVELS:
            if value >= floor:
                return level
    return None


class LineFormatter:
    """Turns `line` events into what a terminal shows: rich Text, or raw strings."""

    def __init__(
        self, *, labels: Literal["none", "header", "prefix"] | str = "none", raw: bool = False
    ) -> None:
        self.labels = labels
        self.raw = raw
        self._last_file: str | None = None

    def forget_file(self) -> None:
        """Lines were skipped: the next line gets its file header again."""
        self._last_file = None

    def format(self, event: Event) -> list[Text | str]:
        """The rows for one `line` event: maybe a file header, then the line."""
        out: list[Text | str] = []
        text = event.get("text")
        if not isinstance(text, str):
            text = ""
        file = event.get("file")
        file = file if isinstance(file, str) else "-"
        prefix = ""
        if self.labels == "header":
            if file != self._last_file:
                if self._last_file is not None:
                    out.append(Text(""))
                out.append(Text(file_header(sanitize(file)), style=_HEADER))
            self._last_file = file
        elif self.labels == "prefix":
            prefix = file_prefix(sanitize(file))
        if self.raw:
            out.append(prefix + text)
            return out
        structured = _json_object(text)
        line = self.structured(structured) if structured is not None else None
        if line is None:
            line = self.plain(text)
        if prefix:
            line = Text.assemble((prefix, _PREFIX), line)
        out.append(line)
        return out

    def plain(self, text: str) -> Text:
        """A text line, its level coloured."""
        safe = sanitize(text)
        found = find_level(safe)
        if found is None:
            return Text(safe)
        level, start, end = found
        line = Text(safe, style=LINE_STYLES.get(level, ""))
        line.stylize(LEVEL_STYLES[level], start, end)
        return line

    def structured(self, record: dict[str, Any]) -> Text | None:
        """A JSON log record as ``time level message key=value…``."""
        rest = dict(record)
        time = _pop_first(rest, _TIME_KEYS, lambda v: isinstance(v, (str, int, float)))
        level_value = _pop_first(rest, _LEVEL_KEYS, lambda v: level_from_value(v) is not None)
        message = _pop_first(rest, _MESSAGE_KEYS, lambda v: isinstance(v, str))
        level = level_from_value(level_value) if level_value is not None else None
        line_style = LINE_STYLES.get(level, Style()) if level else Style()
        line = Text()
        if time is not None:
            line.append(sanitize(_format_time(time)), _DIM)
            line.append(" ")
        if level is not None:
            name = level_value if isinstance(level_value, str) else level
            line.append(sanitize(str(name)).upper().ljust(5), LEVEL_STYLES[level])
            line.append(" ")
        if message is not None:
            line.append(sanitize(message), line_style)
        for key, value in rest.items():
            if len(line):
                line.append(" ")
            line.append(sanitize(str(key)) + "=", _DIM)
            line.append(sanitize(_format_value(value)), line_style)
        return line


def _json_object(text: str) -> dict[str, Any] | None:
    """The object a JSON log line holds, or None for any other line."""
    if text[:1] != "{" or text[-1:] != "}":
        return None
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return value if type(value) is dict else None


def _pop_first(record: dict[str, Any], keys: tuple[str, ...], accept: Callable[[Any], bool]) -> Any:
    for key in keys:
        if key in record and accept(record[key]):
            return record.pop(key)
    return None


def _format_time(value: str | float) -> str:
    """A timestamp as written, or an epoch number (seconds or milliseconds) as local time."""
    if isinstance(value, str):
        return value
    seconds = value / 1000 if value > 1e11 else value
    try:
        return datetime.fromtimestamp(seconds).isoformat(sep=" ", timespec="milliseconds")
    except (OverflowError, OSError, ValueError):
        return str(value)


def _format_value(value: object) -> str:
    """A value of key=value: bare when unambiguous, JSON otherwise."""
    if isinstance(value, str):
        if value and not any(c.isspace() or c in "=\"'" for c in value):
            return value
        return orjson.dumps(value).decode()
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return repr(value)
