"""Lines to `line` events, through the `--grep` filter.

This runs for every line, so the common case (plain lines, no filter) is one list
comprehension; only lines that carry extra fields (partial, cut, invalid UTF-8) take a
second pass. A JSON log line stays its text: the terminal parses it when it draws it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from streamcli.errors import BadInput
from streamcli.events import Event
from streamcli.sources.tail.splitter import Split


class LineEvents:
    """Turns the lines of one read into `line` events stamped with one `t`."""

    def __init__(
        self,
        clock: Callable[[], float],
        patterns: Sequence[str] = (),
        *,
        invert: bool = False,
        ignore_case: bool = False,
    ) -> None:
        self._clock = clock
        self._search = _compile(patterns, ignore_case) if patterns else None
        self._invert = invert

    @property
    def filtering(self) -> bool:
        """Whether some lines are left out (`--grep`)."""
        return self._search is not None

    def matching(self, lines: list[str]) -> list[str]:
        """The lines that pass the filter."""
        search = self._search
        if search is None:
            return lines
        keep_matches = not self._invert
        return [s for s in lines if (search(s) is not None) is keep_matches]

    def __call__(self, split: Split, file: str) -> list[Event]:
        lines = self.matching(split.lines)
        t = self._clock()
        # The fields of `events.line`, spelled out here: a call per line costs 10% of a read.
        batch: list[Event] = [{"type": "line", "t": t, "text": s, "file": file} for s in lines]
        if split.flagged:
            for event in batch:
                text = event["text"]
                if type(text) is not str:  # a `Line` with extra fields
                    event["text"] = str(text)
                    event.update(text.extra)
        return batch


def _compile(patterns: Sequence[str], ignore_case: bool) -> Callable[[str], object]:
    """One regular expression matching any of `patterns`."""
    flags = re.IGNORECASE if ignore_case else 0
    searches = []
    for pattern in patterns:
        try:
            searches.append(re.compile(pattern, flags).search)
        except re.error as exc:
            raise BadInput(f"invalid --grep pattern {pattern!r}: {exc}") from None
    if len(searches) == 1:
        return searches[0]
    return lambda text: any(search(text) for search in searches) or None
