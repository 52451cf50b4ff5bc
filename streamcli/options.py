"""How a command's options are described without importing the command-line library.

Each command's settings are a dataclass whose fields carry an `Option` or an `Argument`
in their `Annotated` type: the spelling, help and range of the flag, in the words
`typer.Option` takes. The command line (`cli.py`) turns them into Typer parameters; the
rest of streamcli (a session, `serve`) builds the same dataclasses without ever importing
Typer. A check that cannot be said as a type or a range raises `BadValue`, which the
command line reports as a usage error naming the option.

Every value is checked here, in `Option.check`, wherever it came from: the command line,
the config file (`sources/chat/settings.py`) or a session's command (`/load`). A number
must be finite and within its option's declared range (`min`, `max`: every numeric option
has both); text must be valid Unicode (an argument's bytes that are not UTF-8 arrive as
lone surrogates, which no file, JSON line or request can carry).
"""

from __future__ import annotations

import dataclasses
import math
import typing
from typing import Any

# Ranges shared by many options.
MAX_SECONDS = 1_000_000  # a timeout or an interval: about 11.5 days
MAX_TOKENS = 10_000_000  # an answer's length
MAX_SEED = 2**32 - 1  # llama.cpp's seed is 32 bits; every provider takes these
MAX_ROW_ID = 2**63 - 1  # SQLite's INTEGER
MAX_PID = 2**31 - 1  # pid_t


class BadValue(ValueError):
    """An option's value is not one the option takes (a usage error, exit 2)."""


class Option:
    """A flag: its names (`"--model", "-m"`) and what `typer.Option` takes besides, or
    `choices`: the values a `str` option accepts. A number's range is `min` and `max`."""

    def __init__(self, *names: str, **settings: Any) -> None:
        self.names = names
        self.settings = settings

    @property
    def bounds(self) -> tuple[float | None, float | None]:
        """The declared range (`min`, `max`); None where not declared."""
        return self.settings.get("min"), self.settings.get("max")

    def check(self, value: Any) -> Any:
        """`value` if this option takes it, else `BadValue` saying why (without the
        option's name, which the caller knows how to spell)."""
        if isinstance(value, list | tuple):
            for item in value:
                self.check(item)
            return value
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int | float):
            check_number(value, *self.bounds)
        elif isinstance(value, str) or hasattr(value, "__fspath__"):
            check_text(str(value))
        return value


class Argument(Option):
    """A positional argument, with what `typer.Argument` takes."""

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)


def check_number(value: float, low: float | None, high: float | None) -> None:
    """Nothing if `value` is finite and from `low` to `high`; else `BadValue` saying so."""
    if math.isfinite(value) and (low is None or value >= low) and (high is None or value <= high):
        return
    raise BadValue(f"must be a number {range_words(low, high)}, not {_shown(value)}")


def range_words(low: float | None, high: float | None) -> str:
    """`from 1 to 10`, as a message and the help say a range."""
    return f"from {_shown(low)} to {_shown(high)}"


def _shown(number: float | None) -> str:
    """A number as a user would write it: 1000000, 0.001, 1e+308."""
    if number is None:
        return "any"
    if isinstance(number, float) and number.is_integer() and abs(number) < 1e16:
        return str(int(number))
    return str(number) if len(str(number)) <= 24 else f"{number:.3g}"


def check_text(text: str) -> str:
    """`text` if it is valid Unicode; `BadValue` for the undecodable bytes of an argument
    (Python keeps them as lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadValue("not valid UTF-8 text (streamcli reads its arguments as UTF-8)") from None
    return text


def option_of(cls: type, name: str) -> Option:
    """The `Option` (or `Argument`) that field `name` of the flags dataclass `cls` carries."""
    hints = typing.get_type_hints(cls, include_extras=True)
    for extra in getattr(hints[name], "__metadata__", ()):
        if isinstance(extra, Option):
            return extra
    raise KeyError(f"{cls.__name__}.{name} carries no Option")


def flag_name(spec: Option, field: str) -> str:
    """How to name a field's option in a message: its longest name, `--max-tokens`, or
    an argument's metavar, `ID`."""
    if spec.names:
        return max(spec.names, key=len)
    return str(spec.settings.get("metavar") or field.upper())


def checked(cls: type, name: str, value: Any, where: str | None = None) -> Any:
    """`value` if field `name` of `cls` takes it; else `BadValue` naming the option (or
    `where` it came from: the config file's key) and its range."""
    spec = option_of(cls, name)
    try:
        return spec.check(value)
    except BadValue as exc:
        raise BadValue(f"{where or flag_name(spec, name)}: {exc}") from None


def numeric_fields(cls: type) -> list[str]:
    """The fields of the flags dataclass `cls` whose values are numbers."""
    hints = typing.get_type_hints(cls)
    return [
        f.name
        for f in dataclasses.fields(cls)
        if {int, float} & set(typing.get_args(hints[f.name]) or (hints[f.name],))
    ]
