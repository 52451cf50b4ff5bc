"""The process environment a command runs in, gathered in one place.

Nothing else in streamcli calls ``isatty()`` or reads the colour variables: tests build an
`Environment` with pipes, files or a pseudo-terminal and run the real commands inside it.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import BinaryIO, TextIO


@dataclass
class Environment:
    """The process's standard streams, which of them are terminals, and its environment."""

    stdin: BinaryIO
    stdout: BinaryIO
    stderr: TextIO
    stdin_isatty: bool = False
    stdout_isatty: bool = False
    stderr_isatty: bool = False
    environ: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_process(cls) -> Environment:
        """The real stdin, stdout and stderr of this process."""
        from streamcli.stdio import CLOSED, ClosedStdin

        if hasattr(sys.stderr, "reconfigure"):
            sys.stderr.reconfigure(errors="backslashreplace")
        return cls(
            stdin=ClosedStdin() if 0 in CLOSED else sys.stdin.buffer,  # type: ignore[arg-type]
            stdout=sys.stdout.buffer,
            stderr=sys.stderr,
            stdin_isatty=_isatty(sys.stdin),
            stdout_isatty=_isatty(sys.stdout),
            stderr_isatty=_isatty(sys.stderr),
            environ=os.environ,
        )

    @property
    def stdin_closed(self) -> bool:
        """The process was started with stdin closed (reading it fails, exit 2)."""
        from streamcli.stdio import ClosedStdin

        return isinstance(self.stdin, ClosedStdin)

    @property
    def dumb_terminal(self) -> bool:
        """TERM says the terminal cannot move the cursor."""
        return self.environ.get("TERM", "") in ("dumb", "unknown")

    @property
    def rewrapping_terminal(self) -> bool:
        """The terminal re-wraps its lines when it gets narrower, as tmux, VTE (GNOME
        Terminal…), kitty, iTerm2, WezTerm, Konsole, Alacritty and Windows Terminal do,
        recognised by the variables they set; STREAMCLI_REWRAP=1 or 0 says so for others.
        Unknown terminals are taken not to (as xterm): moving up too far would erase
        finished text, where too little only leaves a stale fragment."""
        said = self.environ.get("STREAMCLI_REWRAP")
        if said in ("0", "1"):
            return said == "1"
        markers = ("TMUX", "VTE_VERSION", "KITTY_WINDOW_ID", "WT_SESSION", "KONSOLE_VERSION")
        programs = ("iTerm.app", "Apple_Terminal", "WezTerm", "vscode", "ghostty")
        return (
            any(self.environ.get(name) for name in markers)
            or self.environ.get("TERM_PROGRAM", "") in programs
            or bool(self.environ.get("ALACRITTY_WINDOW_ID"))
        )

    @property
    def no_color(self) -> bool:
        """NO_COLOR is set (no-color.org): no colour, other styles allowed."""
        return bool(self.environ.get("NO_COLOR"))

    @property
    def force_color(self) -> bool:
        """FORCE_COLOR is set (force-color.org): colour even into a pipe, still append-only."""
        return bool(self.environ.get("FORCE_COLOR"))

    def terminal_size(self) -> tuple[int, int]:
        """Columns and rows of the terminal (COLUMNS/LINES override; 80x24 without one)."""
        size = shutil.get_terminal_size((80, 24))
        return size.columns, size.lines


def _isatty(stream: object) -> bool:
    try:
        return stream.isatty()  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):
        return False
