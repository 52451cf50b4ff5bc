"""The progress bar on stderr while a benchmark runs (only when stderr is a terminal).

Updates only store a number; rich redraws a few times a second from its own thread, so
the bar costs the measured code next to nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, TextIO

from streamcli.env import Environment

REFRESH_PER_SECOND = 4


class Bar:
    """One task of the progress display; a no-op without a terminal."""

    def __init__(self, progress: Any = None, task: Any = None) -> None:
        self._progress = progress
        self._task = task

    def update(self, completed: int, **fields: Any) -> None:
        if self._progress is not None:
            self._progress.update(self._task, completed=completed, **fields)


class LiveFigures:
    """The mean TTFT and TPOT of the requests done so far, for the progress bar."""

    def __init__(self) -> None:
        self._ttft = self._tpot = 0.0
        self._ttfts = self._tpots = 0

    def add(self, record: Any) -> str:
        """Count a finished request (a `RequestRecord`); the figures as they are now."""
        if record.ok and record.ttft is not None:
            self._ttft += record.ttft
            self._ttfts += 1
            tpot = record.tpot("tokens")
            if tpot is not None:
                self._tpot += tpot
                self._tpots += 1
        return self.text()

    def text(self) -> str:
        parts = []
        if self._ttfts:
            parts.append(f"TTFT {self._ttft / self._ttfts * 1000:.1f} ms")
        if self._tpots:
            parts.append(f"TPOT {self._tpot / self._tpots * 1000:.2f} ms")
        return "  ".join(parts)


class Display:
    """The progress bars of a benchmark on stderr (none when stderr is not a terminal)."""

    def __init__(self, progress: Any = None, stderr: TextIO | None = None) -> None:
        self._progress = progress
        self._stderr = stderr

    def note(self, line: str) -> None:
        """One line on stderr, above the bars while they are shown."""
        if self._progress is not None:
            self._progress.console.print(line, markup=False, highlight=False)
        elif self._stderr is not None:
            self._stderr.write(line + "\n")
            self._stderr.flush()

    def bar(self, description: str, total: int, unit: str) -> Bar:
        if self._progress is None:
            return Bar()
        return Bar(self._progress, self._progress.add_task(description, total=total, unit=unit))


@contextlib.contextmanager
def display(env: Environment) -> Iterator[Display]:
    """Progress bars on stderr if it is a terminal; nothing otherwise."""
    if not env.stderr_isatty:
        yield Display(stderr=env.stderr)
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.text import Text

    class RateColumn(ProgressColumn):
        def render(self, task: Any) -> Text:
            speed = task.finished_speed or task.speed
            return Text(f"{speed:,.0f}/s" if speed else "", style="dim")

    console = Console(file=env.stderr, markup=False, highlight=False, _environ=dict(env.environ))
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[unit]}"),
        RateColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        refresh_per_second=REFRESH_PER_SECOND,
    )
    with progress:
        yield Display(progress, env.stderr)
