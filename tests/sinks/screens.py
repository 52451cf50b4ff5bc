"""pyte screens for the sink tests: an emulator and everything it shows."""

from __future__ import annotations

import pyte

COLUMNS, ROWS = 16, 8


def emulator(columns: int = COLUMNS, rows: int = ROWS) -> tuple[pyte.HistoryScreen, pyte.Stream]:
    screen = pyte.HistoryScreen(columns, rows, history=10_000)
    screen.set_mode(pyte.modes.LNM)  # "\n" starts a new row, as a tty's ONLCR does
    return screen, pyte.Stream(screen)


def everything(screen: pyte.HistoryScreen) -> list[str]:
    rows = [
        "".join(row[x].data for x in range(screen.columns)).rstrip() for row in screen.history.top
    ]
    rows += [row.rstrip() for row in screen.display]
    while rows and not rows[-1]:
        rows.pop()
    return rows
