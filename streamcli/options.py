"""How a command's options are described without importing the command-line library.

Each command's settings are a dataclass whose fields carry an `Option` or an `Argument`
in their `Annotated` type: the spelling, help and range of the flag, in the words
`typer.Option` takes. The command line (`cli.py`) turns them into Typer parameters; the
rest of streamcli (a session, `serve`) builds the same dataclasses without ever importing
Typer. A check that cannot be said as a type or a range raises `BadValue`, which the
command line reports as a usage error naming the option.
"""

from __future__ import annotations

from typing import Any


class BadValue(ValueError):
    """An option's value is not one the option takes (a usage error, exit 2)."""


class Option:
    """A flag: its names (`"--model", "-m"`) and what `typer.Option` takes besides, or
    `choices`: the values a `str` option accepts."""

    def __init__(self, *names: str, **settings: Any) -> None:
        self.names = names
        self.settings = settings


class Argument:
    """A positional argument, with what `typer.Argument` takes."""

    def __init__(self, **settings: Any) -> None:
        self.settings = settings
