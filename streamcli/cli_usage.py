"""How the command line speaks about its own usage: plain metavars in `--help`, and a
usage error as one `streamcli: error:` line with a useful did-you-mean."""

from __future__ import annotations

import difflib
import re
import sys
from typing import Any

import typer.core

try:  # Typer 0.2x carries its own copy of Click
    from typer._click import exceptions as click_errors
    from typer._click.core import Command, Context
except ImportError:  # pragma: no cover - older Typer, on the real Click
    from click import exceptions as click_errors  # type: ignore[no-redef]
    from click.core import Command, Context  # type: ignore[assignment]

# How close a mistyped option must be to a real one to be suggested (difflib's ratio):
# `--jsn` → `--json` (0.91), but not `--foo` → `--follow` (0.77) or `--tool` (0.73).
SUGGESTION_CUTOFF = 0.8


class PlainArgument(typer.core.TyperArgument):
    """An argument shown as `FILE` or `FILE...`, without Typer's `<list[str]>` or `{FILE}`."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None

    def _usage_display_name(self) -> str:
        name = self.display_name_raw + ("..." if self.nargs != 1 else "")
        return name if self.required else f"[{name}]"

    def _get_number_range_help_str(self) -> str | None:
        return _range_help(self)


class PlainOption(typer.core.TyperOption):
    """An option's value shown as its metavar, its choices, or its name: `--speed SPEED`."""

    def display_type_rich(self, ctx: Any) -> str | None:
        if self.metavar is not None:
            return self.metavar
        descriptor = self.type_descriptor
        if descriptor.is_choice and descriptor.choices:
            label = "|".join(str(getattr(c, "value", c)) for c in descriptor.choices)
        else:
            label = (self.name or "value").upper().replace("_", "-")
        return label + ("..." if self.nargs != 1 else "")

    def _get_number_range_help_str(self) -> str | None:
        return _range_help(self)


def _range_help(param: Any) -> str | None:
    """A number's range in the help (`1 to 10`), from the range the option declares
    (`options.Option`: checked by streamcli, not by Typer)."""
    from streamcli.options import range_words

    low, high = getattr(param.type_descriptor.parameter_info, "value_range", (None, None))
    return None if low is None and high is None else range_words(low, high)


def plain_metavars(command: Command) -> None:
    """Have `command`'s help show plain metavars."""
    for param in command.params:
        if type(param) is typer.core.TyperArgument:
            param.__class__ = PlainArgument
        elif type(param) is typer.core.TyperOption:
            param.__class__ = PlainOption


def usage_status(exc: BaseException) -> int:
    """The exit status for a failure of Click's own (the usage line, the help shown
    without arguments, input ended while Click read it); any other is raised again."""
    if isinstance(exc, click_errors.NoArgsIsHelpError):
        exc.show()
        return exc.exit_code
    if isinstance(exc, click_errors.UsageError):
        return usage_error(exc)
    if isinstance(exc, typer.Abort):  # Click's word for Ctrl-C (or input ended)
        from streamcli.errors import INTERRUPTED

        return INTERRUPTED if isinstance(exc.__cause__, KeyboardInterrupt) else 1
    raise exc


def usage_error(exc: click_errors.UsageError) -> int:
    """Report a usage error as one line on stderr; the exit status (2)."""
    from streamcli.errors import report

    ctx = exc.ctx
    where = ctx.command_path if ctx is not None else "streamcli"
    if isinstance(exc, click_errors.NoSuchOption):
        message = f"no such option {exc.option_name}"
        guess = _closest(exc.option_name, _option_names(ctx))
        if guess:
            message += f"; did you mean {guess}?"
    else:
        text = " ".join(exc.format_message().split()).replace("Value error, ", "")
        message = _in_words(text[:1].lower() + text[1:].rstrip("."))
    report(sys.stderr, f"{message} (see '{where} --help')")
    return exc.exit_code


def _option_names(ctx: Context | None) -> list[str]:
    if ctx is None:
        return []
    names = [name for p in ctx.command.params for name in (*p.opts, *p.secondary_opts)]
    return names + list(ctx.help_option_names)


# Typer words a range as "Input should be greater than or equal to 0"; say it plainly.
_RANGES = (
    (re.compile(r"input should be greater than or equal to (\S+)", re.I), r"must be \1 or more"),
    (re.compile(r"input should be less than or equal to (\S+)", re.I), r"must be \1 or less"),
    (re.compile(r"input should be greater than (\S+)", re.I), r"must be more than \1"),
    (re.compile(r"input should be less than (\S+)", re.I), r"must be less than \1"),
)
_NOT_A_CHOICE = re.compile(  # the value as Python's repr: "…" when it holds a '
    r"invalid value for '([^']*)'(?: / '[^']*')?: (['\"])(.*)\2 is not one of (.*)$"
)


def _in_words(message: str) -> str:
    """A value error as a user would say it: ranges in words, a did-you-mean for a
    mistyped choice, and an action (`mcp lst`) named as such."""
    for pattern, words in _RANGES:
        message = pattern.sub(words, message)
    found = _NOT_A_CHOICE.match(message)
    if found is None:
        return message
    name, _, value, listed = found.groups()
    choices = re.findall(r"'([^']*)'", listed)
    if not name.startswith("-"):  # an argument whose metavar is its choices: an action
        message = f"no such action '{value}' (one of: {', '.join(choices)})"
    guess = _closest(value, choices)
    return f"{message}; did you mean '{guess}'?" if guess else message


def _closest(name: str, names: list[str]) -> str | None:
    found = difflib.get_close_matches(name, names, n=1, cutoff=SUGGESTION_CUTOFF)
    return found[0] if found else None
