"""The answer (`text` events) on the terminal: Markdown block by block, or raw with `--raw`.

Finished Markdown blocks are printed for good once; the last, unfinished block is rendered
for the live region, cached so that spinner ticks and repeated frames never render it
again, and a block far taller than the screen is rendered only as much as the screen
shows. With `--raw` the text is printed as it arrives, untouched, and nothing is live.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from streamcli.sanitize import Sanitizer
from streamcli.sinks.ansi_lines import BLANK, PLAIN, Rendered, Renderer, Row
from streamcli.sinks.growing_text import GrowingText
from streamcli.sinks.layout import Layout, RowKind
from streamcli.sinks.markdown_blocks import (
    Block,
    BlockSplitter,
    SafeMarkdown,
    line_offset,
    top_level_groups,
)

CURSOR_GLYPH = "▋"

_TABLE_DELIMITER = re.compile(r"^ {0,3}\|?[ \t:|-]*-[ \t:|-]*$")


class StreamedText:
    """Text that streams in (the answer, the reasoning): what arrives is kept until the
    frame, `settle` prints for good what is finished, `live_rows` shows the rest."""

    kind: RowKind = "markdown"

    def __init__(self, layout: Layout) -> None:
        self._layout = layout
        self._parts: list[str] = []

    def add(self, text: str) -> None:
        self._parts.append(text)

    def _arrived(self) -> str:
        """The text added since the last frame, handed out once."""
        joined = "".join(self._parts)
        self._parts.clear()
        return joined

    def settle(self, final: bool = False) -> None:
        """Print what is finished (with `final`, everything)."""
        raise NotImplementedError

    def live_rows(self, height: int) -> list[Row]:
        """The unfinished part, for the live region of a screen `height` rows tall."""
        return []


class MarkdownStream(StreamedText):
    """The answer as Markdown: finished blocks printed for good, the last block live."""

    def __init__(self, renderer: Renderer, layout: Layout, *, cursor_glyph: bool) -> None:
        super().__init__(layout)
        self._renderer = renderer
        self._cursor_glyph = cursor_glyph
        self._blocks = BlockSplitter()
        self._sanitizer = Sanitizer()
        self._live: _Live | None = None  # the live block as the region shows it
        self._finished: Rendered | None = None  # the blocks before it, about to finish

    def settle(self, final: bool = False) -> None:
        """Move arrived text into the splitter and print the blocks that are finished."""
        if arrived := self._arrived():
            self._commit(self._blocks.feed(self._sanitizer.feed(arrived)))
        if final:
            held = self._blocks.feed(self._sanitizer.flush())
            self._commit(held + self._blocks.finish())
            self._live = None

    def _commit(self, blocks: list[Block]) -> None:
        for block in blocks:
            rows = self._rendered_before(block.source) or self._renderer.markdown(block.source)
            if rows:
                self._layout.commit_block(rows, block.type)

    def _rendered_before(self, source: str) -> list[Row] | None:
        """The rows of a block that was rendered live just before it finished."""
        done = self._finished
        if done is None or done.width != self._renderer.width:
            return None
        return done.rows if done.source.rstrip() == source.rstrip() else None

    def live_rows(self, height: int) -> list[Row]:
        """The unfinished block, with the streaming cursor after its last character."""
        if not self._blocks.text.visible:
            return []
        rows = self._tail_rows(height)
        if self._cursor_glyph:
            rows = _with_glyph(rows, self._renderer.width)
        return rows

    def _tail_rows(self, height: int) -> list[Row]:
        """The live block rendered (cached: ticks and repeated frames never re-render).

        When the tail holds the start of a next block (its first line is still
        arriving), the blocks before it are rendered on their own: they are about to be
        printed for good, and those rows are reused then instead of rendered again.
        """
        width = self._renderer.width
        fed = self._blocks.fed  # the tail only grows: its length names its content
        live = self._live
        if live is not None and live.width == width and live.fed == fed:
            return live.rows
        source, trimmed = _trim_tall(self._blocks.text, height, width)
        groups = top_level_groups(SafeMarkdown.parse(source))
        render = self._renderer.markdown
        if len(groups) > 1 and not trimmed:
            cut = line_offset(source, groups[-1].line)
            head = source[:cut]
            head_rows = render(head, [token for group in groups[:-1] for token in group.tokens])
            gap = [BLANK] if head_rows and groups[-2].type != "hr" else []
            rows = [*head_rows, *gap, *render(source[cut:], groups[-1].tokens)]
            self._finished = Rendered(head, width, head_rows)
        else:
            rows = render(source, [token for group in groups for token in group.tokens])
            if not trimmed:
                self._finished = Rendered(source, width, rows)
        self._live = _Live(fed, width, rows)
        return rows


class _Live(NamedTuple):
    """The live block's rows, for the tail after `fed` characters at `width` columns."""

    fed: int
    width: int
    rows: list[Row]


class RawStream(StreamedText):
    """`--raw`: the answer printed as it arrives, untouched; nothing is live."""

    def settle(self, final: bool = False) -> None:
        if arrived := self._arrived():
            self._layout.commit_raw(arrived)
        if final:
            self._layout.end_open_line()


def _with_glyph(lines: list[Row], width: int) -> list[Row]:
    """`lines` with the streaming cursor after the last character."""
    glyph = (CURSOR_GLYPH, PLAIN)
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        if line.cells > 0:
            if line.cells < width:
                marked = Row((*line.runs, glyph), line.cells + 1, line.fill)
                return [*lines[:index], marked, *lines[index + 1 :]]
            return [*lines[: index + 1], Row((glyph,), 1), *lines[index + 1 :]]
    return [*lines, Row((glyph,), 1)]


def _trim_tall(tail: GrowingText, rows: int, width: int) -> tuple[str, bool]:
    """For a block far taller than the screen, only its head and its end are rendered.

    The region shows only the bottom of such a block anyway. Keeping the first line (two
    for a table: header and delimiter) keeps the block's kind; keeping the last `rows`
    lines, and of a very long last line only its end, bounds the cost of a frame by the
    screen, not by the block: only the block's first and last `2 * rows * width`
    characters are read.
    """
    limit = 2 * rows * width
    small = len(tail) <= limit
    start = tail.text() if small else tail.start(limit)
    if small and start.count("\n") <= 2 * rows:
        return start, False
    first = start.split("\n", 2)
    head_count = 2 if len(first) > 2 and _TABLE_DELIMITER.match(first[1]) else 1
    head = [line[:width] for line in first[:head_count]]
    if small:
        lines = start.split("\n")[head_count:]
    else:  # the end, from its first whole line
        lines = tail.end(limit).split("\n")
        if len(lines) > 1:
            lines = lines[1:]
        elif len(first) == 1:  # the first `limit` and the last are of one huge line
            lines = []
    body = lines[-rows:]
    if not body:  # one huge line: its end matters, not its first characters
        head, body = [], [tail.end(limit)]
    end = "\n".join(body)
    if len(end) > limit:
        end = end[-limit:]
        space = end.find(" ")
        if 0 <= space < width:
            end = end[space + 1 :]  # start at a word
    return "\n".join([*head, end]), True
