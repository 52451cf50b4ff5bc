"""The bottom of the terminal: rows printed for good, and a small region redrawn in place.

Each frame says which rows are final (they go into the scrollback and are never touched
again) and what the live region below them should show now. The writer compares that
with what the screen shows, moves the cursor up to the first row that differs, rewrites
that row from the first column that differs, and the rows after it whole; so a growing
paragraph costs only its new characters, and a frame where nothing changed costs
nothing. The cursor always rests at the start of the row below the region; the region
is kept shorter than the screen by its owner, so its top is always on screen. Frames that
move the cursor are wrapped in synchronized-output brackets (DEC mode 2026), which
terminals that support them paint at once and the others ignore.

In append mode (not an interactive terminal) only the final rows are written and the
cursor never moves.
"""

from __future__ import annotations

from collections.abc import Sequence

from streamcli.sinks.ansi_lines import PLAIN, Row, common_prefix, encode, encode_padded

HIDE_CURSOR = "\x1b[?25l"
SHOW_CURSOR = "\x1b[?25h"
BEGIN_SYNC = "\x1b[?2026h"
END_SYNC = "\x1b[?2026l"
ERASE_BELOW = "\x1b[J"
# A row the terminal re-wrapped: it matches no new row, so the next frame rewrites it.
REWRAPPED = Row((("\x00", PLAIN),), -2)


class LiveRegion:
    """The rows printed for good and the region redrawn in place below them."""

    def __init__(self, *, live: bool = True) -> None:
        self.live = live
        self.shown: list[Row] = []  # the region's rows as the screen shows them now
        self.cursor_hidden = False
        self._rewrapped = False  # the terminal re-wrapped the rows: erase them, not overwrite

    def frame(
        self, final: Sequence[Row], region: Sequence[Row], width: int, height: int = 0
    ) -> str:
        """The characters that print `final` for good and leave `region` below it.

        `height` is the screen's: when it shrank below the region, only the rows still
        on screen are redrawn (the others went into the scrollback).
        """
        if not self.live:
            return self._append(final, width)
        new = [*final, *region]
        shown = self.shown
        clipped = bool(height) and len(shown) > height - 1
        if clipped:  # the top of the region is out of reach: redraw what is on screen
            shown = shown[len(shown) - (height - 1) :]
        same = 0
        limit = 0 if clipped else min(len(new), len(shown))
        while same < limit and new[same] == shown[same]:
            same += 1
        self.shown = list(region)
        if same == len(new) == len(shown):
            return ""
        out: list[str] = []
        if region and not self.cursor_hidden:
            out.append(HIDE_CURSOR)
            self.cursor_hidden = True
        moved = len(shown) - same
        if moved:
            out.append(BEGIN_SYNC)
            out.append(f"\x1b[{moved}A")
        out.append("\r")  # from the first column, whatever the terminal echoed (^C, keys)
        erased = len(new) < len(shown) or self._rewrapped
        self._rewrapped = False
        if erased:
            out.append(ERASE_BELOW)
        for index in range(same, len(new)):
            line = new[index]
            # rows of the old region still hold old characters; the rows below are blank
            dirty = index < len(shown) and not erased
            reuse = index == same and dirty and not clipped
            cut = common_prefix(shown[index], line) if reuse else None
            if cut is not None:
                column, _, rest = cut
                out.append(f"\x1b[{column + 1}G")
                out.append(encode(rest, erase=True, width=width - column))
            else:
                out.append(encode(line, erase=dirty, width=width))
            if line.newline:
                out.append("\n")
        if moved:
            out.append(END_SYNC)
        return "".join(out)

    def rewrapped(self, old_width: int, new_width: int) -> None:
        """The terminal got narrower and re-wrapped the rows it shows (tmux, VTE, kitty,
        iTerm2, Windows Terminal do; xterm and pyte cut them instead): each row of the
        region now takes as many screen rows as its text needs, and the next frame moves
        up over all of them and erases them (overwriting would keep the terminal's mark
        that a row continues on the next, and a later resize would join them again)."""
        if new_width >= old_width:
            return
        self._rewrapped = True
        rows: list[Row] = []
        for line in self.shown:
            cells = line.cells if line.cells >= 0 else old_width
            rows += [REWRAPPED] * max(1, -(-cells // new_width))
        self.shown = rows

    def restore(self) -> str:
        """What puts the terminal back as it was found (the cursor visible)."""
        if self.cursor_hidden:
            self.cursor_hidden = False
            return SHOW_CURSOR
        return ""

    def _append(self, final: Sequence[Row], width: int) -> str:
        out: list[str] = []
        for line in final:
            out.append(encode_padded(line, width))
            if line.newline:
                out.append("\n")
        return "".join(out)
