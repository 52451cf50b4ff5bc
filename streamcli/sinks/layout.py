"""Where rows go on the terminal: printed for good, or in the live region, with blank rows
between different kinds of content.

A blank row separates Markdown or reasoning from whatever comes before or after it, and
two Markdown blocks from each other (not after a rule); tool rows, log lines and notices
follow each other without one. A `--raw` fragment without its newline stays open until
more text, or anything else, comes.
"""

from __future__ import annotations

from typing import Literal

from streamcli.sinks.ansi_lines import BLANK, Row, raw_row

# What kind of content a row belongs to, for the blank rows between kinds.
RowKind = Literal["markdown", "reasoning", "tool", "line", "notice"]


class Layout:
    """The rows printed for good in the frame being built, and the kind printed last."""

    def __init__(self) -> None:
        self.final: list[Row] = []  # rows printed for good in the frame being built
        self.last_kind: RowKind | None = None  # the kind of the last row printed for good
        self.gap_after_block = True  # a blank row after the last block (not after a rule)
        self.open_line = False  # the last row printed is a raw fragment without its newline

    def take(self) -> list[Row]:
        """The rows of this frame, handed out once."""
        rows, self.final = self.final, []
        return rows

    def commit(self, kind: RowKind, rows: list[Row]) -> None:
        """Print `rows` for good, after a blank row where the content changes kind."""
        self.end_open_line()
        if self.needs_gap(self.last_kind, kind):
            self.final.append(BLANK)
        self.final.extend(rows)
        self.last_kind = kind

    def commit_block(self, rows: list[Row], block_type: str) -> None:
        """A finished Markdown block (`block_type` as the splitter names it)."""
        self.commit("markdown", rows)
        self.gap_after_block = block_type != "hr"

    def commit_raw(self, text: str) -> None:
        """`--raw` text, untouched: whole rows, then a last fragment left open."""
        if self.last_kind not in (None, "markdown") and self.needs_gap(self.last_kind, "markdown"):
            self.final.append(BLANK)
        rows = text.split("\n")
        self.final.extend(raw_row(row) for row in rows[:-1])
        if rows[-1]:
            self.final.append(raw_row(rows[-1], newline=False))
        self.open_line = bool(rows[-1])
        self.last_kind = "markdown"

    def end_open_line(self) -> None:
        """End the raw fragment printed last, if any, with its newline."""
        if self.open_line:
            self.final.append(raw_row(""))
            self.open_line = False

    def needs_gap(self, above: RowKind | None, kind: RowKind) -> bool:
        """Whether a blank row goes between a row of kind `above` and one of `kind`."""
        if above is None:
            return False
        if above == kind:
            return kind == "markdown" and self.gap_after_block
        return "markdown" in (above, kind) or "reasoning" in (above, kind)

    def region(
        self,
        live_kind: RowKind,
        live: list[Row],
        spinners: list[Row],
        status: Row | None,
        height: int,
    ) -> list[Row]:
        """The live region: the unfinished content, the spinners, the status line.

        A tall live block shows its bottom part, so the region stays shorter than the
        screen (`height` rows) and its top is always on screen.
        """
        below: list[Row] = []  # everything under the live content
        above = live_kind if live else self.last_kind
        if spinners:
            if self.needs_gap(above, "tool"):
                below.append(BLANK)
            below.extend(spinners)
        if status is not None:
            if live or below or self.last_kind is not None:
                below.append(BLANK)
            below.append(status)
        if not live:
            return below
        gap = [BLANK] if self.needs_gap(self.last_kind, live_kind) else []
        room = max(1, height - 1 - len(below) - len(gap))
        if len(live) > room:
            live = live[-room:]  # a tall block shows its bottom part while it is live
        return [*gap, *live, *below]
