"""Who approves a tool call before it runs, and the terminal approver.

A front end hands the toolbox an `Approver`: the command line asks on the terminal
(`TerminalApprover`), `--approve` allows every call (`Allow`), and where nobody can be asked
(a pipe with no terminal, an OpenAI client of `serve`) the call is denied and the model is
told why (`Deny`); `serve` gives the page an approver of its own.

The terminal approver asks on the controlling terminal, never on stdin: stdin may be the
chat's piped input, and anything a terminal or a hostile reply "typed" before the question
appeared must not answer it: the question is asked on ``/dev/tty``, pending input is
discarded first (``tcflush``), and only ``y`` or ``yes`` approves — the default is No.
Everything shown comes from the model or a file, so it is sanitized. With no controlling
terminal, or when streamcli is a background job, no question can be asked and the call is
denied.
"""

from __future__ import annotations

import contextlib
import os
import select
import termios
import threading
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from streamcli.sanitize import sanitize
from streamcli.stream import Screen
from streamcli.tools.spec import Tool

TTY = "/dev/tty"
COMPACT = 160  # arguments longer than this are shown indented, one key per line
POLL = 0.1

NO_TERMINAL = (
    "denied: no terminal to ask the user for approval (--approve allows calls without asking)"
)
BACKGROUND = "denied: streamcli runs in the background and cannot ask the user for approval"
DENIED = "denied by the user"
NOBODY = "denied: nobody can approve tool calls here (--approve allows calls without asking)"


class Approver(Protocol):
    """Decides whether a call that needs approval may run."""

    def approve(self, tool: Tool, arguments: dict[str, Any], stop: threading.Event) -> str | None:
        """ "" to run the call, else what the model is told instead (denied); None when
        `stop` was set first (the chat is over)."""


class Allow:
    """`--approve`: every call runs without asking."""

    def approve(self, tool: Tool, arguments: dict[str, Any], stop: threading.Event) -> str | None:
        return ""


@dataclass
class Deny:
    """Nobody can be asked: every call is denied, and the model is told `reason`."""

    reason: str = NOBODY

    def approve(self, tool: Tool, arguments: dict[str, Any], stop: threading.Event) -> str | None:
        return self.reason


@dataclass
class TerminalApprover:
    """Asks the user on the controlling terminal, with the display borrowed from the
    pipeline that draws on it (`screen`), so nothing is drawn over the question."""

    screen: Screen

    def approve(self, tool: Tool, arguments: dict[str, Any], stop: threading.Event) -> str | None:
        terminal, why = Terminal.open()
        if terminal is None:
            return why
        try:
            with self.screen.borrowed(stop) as lent:
                if not lent:
                    return None
                answer = terminal.ask(question(tool, arguments), stop)
        finally:
            terminal.close()
        if answer is None:
            return None
        return "" if answer else DENIED


@dataclass
class Terminal:
    """The controlling terminal, open for reading and writing."""

    fd: int

    @classmethod
    def open(cls, path: str = TTY) -> tuple[Terminal | None, str]:
        """The terminal, or None and why a call cannot be approved."""
        try:
            fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        except OSError:
            return None, NO_TERMINAL
        try:
            termios.tcgetattr(fd)  # a terminal indeed
            foreground = os.tcgetpgrp(fd) == os.getpgrp()
        except (termios.error, OSError):
            os.close(fd)
            return None, NO_TERMINAL
        if not foreground:
            os.close(fd)
            return None, BACKGROUND
        return cls(fd), ""

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)

    def ask(self, question: str, stop: threading.Event) -> bool | None:
        """Show `question`, read one line: True for y/yes, False otherwise, None if stopped."""
        fd = self.fd
        with contextlib.suppress(termios.error, OSError):
            termios.tcflush(fd, termios.TCIFLUSH)  # typed (or echoed back) before we asked
        os.write(fd, question.encode("utf-8", "replace"))
        answer = b""
        while b"\n" not in answer:
            if stop.is_set():
                os.write(fd, b"\n")
                return None
            ready, _, _ = select.select([fd], [], [], POLL)
            if not ready:
                continue
            try:
                data = os.read(fd, 1024)
            except OSError:
                data = b""
            if not data:  # Ctrl-D: no
                os.write(fd, b"\n")
                return False
            answer += data
        return answer.split(b"\n", 1)[0].strip().lower() in (b"y", b"yes")


def question(tool: Tool, arguments: dict[str, Any]) -> str:
    """The approval question for a call, every untrusted part sanitized."""
    compact = orjson.dumps(arguments).decode()
    if len(compact) > COMPACT:
        shown = orjson.dumps(arguments, option=orjson.OPT_INDENT_2).decode()
        shown = "\n".join("    " + row for row in shown.splitlines()).lstrip()
    else:
        shown = compact
    # An MCP tool's line says which server it is from; others say where they are defined.
    origin = "" if tool.server is not None else f" (from {sanitize(tool.origin)})"
    what = f"  {sanitize(tool.runner.described())}\n"
    return (
        f"\nstreamcli: the model asks to run the tool {sanitize(tool.name)}{origin}\n"
        f"{what}"
        f"  arguments: {sanitize(shown)}\n"
        "Allow this call? [y/N] "
    )
