"""Streaming Markdown in O(n): finished top-level blocks are cut off, one live tail remains.

A Markdown document is a sequence of top-level blocks (paragraphs, headings, lists,
tables, code fences…). Text appended at the end can only change the last block, so every
block before it is final: `BlockSplitter` hands those out once, in order, and keeps only
the last block's source as the live `tail`, which is all that is parsed again on the next
frame. Block boundaries are decided on complete lines only: a half-received last line can
still change what the lines before it belong to (``> quote`` followed by ``-`` starts a
list, followed by ``-x`` it continues the quote).

`SafeMarkdown` is rich's Markdown renderable with the same parser configuration as the
splitter, raw HTML shown as text (rich drops it silently otherwise), and link and image
URLs shown instead of hidden in terminal hyperlinks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise
from typing import ClassVar, NamedTuple

from markdown_it import MarkdownIt
from markdown_it.token import Token
from rich.console import Console, ConsoleOptions, RenderResult
from rich.markdown import Heading, ListElement, ListItem, Markdown, MarkdownElement
from rich.segment import Segment
from rich.text import Text

from streamcli.sinks.growing_text import GrowingText


def make_parser() -> MarkdownIt:
    """rich's Markdown dialect (CommonMark, tables, strikethrough) with raw HTML as text."""
    return MarkdownIt("commonmark", {"html": False}).enable("strikethrough").enable("table")


def make_block_parser() -> MarkdownIt:
    """The same dialect, block structure only: enough to find where blocks start."""
    return make_parser().disable("inline")


class TokenGroup(NamedTuple):
    """The parsed tokens of one top-level block, with where it starts and what it is."""

    line: int  # the block's first line in the parsed source
    type: str  # the markdown-it type of its first token: paragraph_open, fence, hr, …
    tokens: list[Token]


def top_level_groups(tokens: list[Token]) -> list[TokenGroup]:
    """The tokens of each top-level block, in order."""
    starts = [
        index
        for index, token in enumerate(tokens)
        if token.level == 0 and token.map is not None and token.nesting >= 0
    ]
    groups = []
    for start, end in zip(starts, [*starts[1:], len(tokens)], strict=False):
        first = tokens[start]
        groups.append(TokenGroup(first.map[0] if first.map else 0, first.type, tokens[start:end]))
    return groups


@dataclass(frozen=True)
class Block:
    """One finished top-level block: its source (with the blank lines after it) and type."""

    source: str
    type: str  # the markdown-it token type: paragraph_open, fence, hr, table_open, …


class BlockSplitter:
    """Cuts streamed Markdown into finished blocks and a live tail.

    Invariants (tested): the concatenation of every block's source plus the final tail
    is exactly the text fed in, and text once handed out is never handed out again.

    The work per frame does not grow with the live block. A paragraph is decided line by
    line (each line continues it or starts something else, whatever came before), so
    while the tail is one paragraph only its last examined line and the new lines are
    parsed again. Any other tail is parsed whole while it is small; once it is large,
    only after it has grown by a quarter since the last parse, so the parses of one
    block add up to a few times its length (a boundary inside a long list or code block
    is then found up to a quarter later: the live region shows the end meanwhile).
    """

    SMALL = 8192  # a tail this short is parsed whole whenever a line is complete

    def __init__(self, parser: MarkdownIt | None = None) -> None:
        self._parser = parser or make_block_parser()
        self._tail = GrowingText()
        self.committed = 0  # characters handed out as finished blocks so far
        self._complete = 0  # the tail's characters up to its last newline
        self._parsed = 0  # how much of the tail the last whole parse read
        # While the tail is one paragraph: where its last examined line starts (the
        # offset and the line number).
        self._paragraph_line: tuple[int, int] | None = None

    @property
    def tail(self) -> str:
        """The live tail: the last block, unfinished."""
        return self._tail.text()

    @property
    def text(self) -> GrowingText:
        """The tail as its pieces: its length, start and end are cheap to read."""
        return self._tail

    @property
    def fed(self) -> int:
        """Characters fed so far: the tail only grows, so this names its content."""
        return self.committed + len(self._tail)

    def feed(self, text: str) -> list[Block]:
        """Append `text`; return the blocks that became final, in order."""
        if not text:
            return []
        before = len(self._tail)
        self._tail.append(text)
        newline = text.rfind("\n")
        if newline < 0:  # no new complete line: no boundary can have changed
            return []
        self._complete = before + newline + 1
        if self._paragraph_line is not None:
            found = self._paragraph_continues()
            if found is not None:
                return self._cut(found) if len(found) > 1 else []
        if self._complete <= self.SMALL or 4 * self._complete >= 5 * self._parsed:
            return self._cut_parsed(self._tail.text()[: self._complete])
        return []

    def finish(self) -> list[Block]:
        """The end of the stream: every remaining block is final."""
        if not self._tail:
            return []
        tail = self._tail.text()
        starts = self._block_starts(tail)
        if not starts:  # nothing but blank lines or link definitions
            starts = [(0, "")]
        starts.append((_line_count(tail), ""))
        return self._cut(starts)

    def _paragraph_continues(self) -> list[tuple[int, str]] | None:
        """The block starts of the tail, from its last examined line on (None: unsure).

        The tail is one paragraph through its last examined line: parsed from that line,
        the new lines show whether the paragraph goes on or what follows it.
        """
        assert self._paragraph_line is not None
        begin, row = self._paragraph_line
        window = self._tail.slice(begin, self._complete)
        groups = top_level_groups(self._parser.parse(window))
        self._paragraph_line = None
        if not groups or groups[0].line != 0 or groups[0].type != "paragraph_open":
            return None  # a setext underline, a reference definition…: parse it whole
        if len(groups) == 1:
            last = window.rfind("\n", 0, len(window) - 1) + 1
            self._paragraph_line = (begin + last, row + window.count("\n", 0, last))
            return [(0, "paragraph_open")]
        return [(0, "paragraph_open"), *[(row + group.line, group.type) for group in groups[1:]]]

    def _cut_parsed(self, source: str) -> list[Block]:
        """Parse the complete lines whole and cut at the last block start."""
        self._parsed = len(source)
        starts = self._block_starts(source)
        if len(starts) == 1 and starts[0] == (0, "paragraph_open"):
            self._examined(source)
        return self._cut(starts) if len(starts) > 1 else []

    def _examined(self, source: str) -> None:
        """`source` (the tail's complete lines) is one paragraph so far."""
        last = source.rfind("\n", 0, len(source) - 1) + 1
        self._paragraph_line = (last, source.count("\n", 0, last))

    def _block_starts(self, source: str) -> list[tuple[int, str]]:
        """(first line, type) of each top-level block of `source`."""
        return [(group.line, group.type) for group in top_level_groups(self._parser.parse(source))]

    def _cut(self, starts: list[tuple[int, str]]) -> list[Block]:
        """Hand out the blocks before the last start; the tail keeps the rest."""
        tail = self._tail.text()
        blocks: list[Block] = []
        offset = 0
        line = 0
        for (_, kind), (next_line, _) in pairwise(starts):
            end = line_offset(tail, next_line, offset, line)
            blocks.append(Block(tail[offset:end], kind))
            offset, line = end, next_line
        self.committed += offset
        self._tail = GrowingText(tail[offset:])
        self._complete = max(0, self._complete - offset)
        self._parsed = 0
        self._paragraph_line = None
        if starts[-1][1] == "paragraph_open" and self._complete:
            self._examined(tail[offset : offset + self._complete])
        return blocks


def line_offset(text: str, line: int, offset: int = 0, at_line: int = 0) -> int:
    """The index where line number `line` of `text` starts (counting from `offset`)."""
    for _ in range(line - at_line):
        found = text.find("\n", offset)
        if found < 0:
            return len(text)
        offset = found + 1
    return offset


def _line_count(text: str) -> int:
    return text.count("\n") + (0 if text.endswith("\n") else 1)


class VisibleHeading(Heading):
    """A heading; an empty one (`#`) shows its marker instead of nothing."""

    marker = "#"

    @classmethod
    def create(cls, markdown: Markdown, token: Token) -> VisibleHeading:
        heading = cls(token.tag)
        heading.marker = token.markup
        return heading

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if not self.text.plain.strip():
            self.text = Text(self.marker)
        yield from super().__rich_console__(console, options)


class VisibleList(ListElement):
    """A list whose items keep their numbers as written (`2024.`, `7)`, `1.` after `369.`)."""

    delimiter = "."  # an ordered list's `.` or `)`

    @classmethod
    def create(cls, markdown: Markdown, token: Token) -> VisibleList:
        items = cls(token.type, int(token.attrs.get("start", 1)))
        items.delimiter = token.markup
        return items

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.list_type == "bullet_list_open":
            for item in self.items:
                yield from item.render_bullet(console, options)
            return
        start = 1 if self.list_start is None else self.list_start
        labels = [
            f"{getattr(item, 'written', '') or start + index}{self.delimiter}"
            for index, item in enumerate(self.items)
        ]
        width = max(len(label) for label in labels) + 2
        for item, label in zip(self.items, labels, strict=True):
            assert isinstance(item, VisibleListItem)
            yield from item.render_label(console, options, label, width)


class VisibleListItem(ListItem):
    """A list item: its number as written, and its marker even when it is empty."""

    written = ""  # an ordered item's number, as the source wrote it

    @classmethod
    def create(cls, markdown: Markdown, token: Token) -> VisibleListItem:
        item = cls()
        item.written = token.info
        return item

    def render_bullet(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from _with_marker(super().render_bullet(console, options), " • ")

    def render_label(
        self, console: Console, options: ConsoleOptions, label: str, width: int
    ) -> RenderResult:
        """The item with `label` (`369.`) right-aligned in the first `width` columns."""
        render_options = options.update(width=options.max_width - width)
        lines = console.render_lines(self.elements, render_options, style=self.style)
        style = console.get_style("markdown.item.number", default="none")
        numeral = Segment(label.rjust(width - 1) + " ", style)
        padding = Segment(" " * width, style)
        for index, line in enumerate(lines or [[]]):
            yield numeral if index == 0 else padding
            yield from line
            yield Segment("\n")


def _with_marker(segments: RenderResult, marker: str) -> RenderResult:
    """rich's rendering of a list item, or, when it yields nothing (an empty item), the
    item's marker on a line of its own."""
    empty = True
    for segment in segments:
        empty = False
        yield segment
    if empty:
        yield Segment(marker)
        yield Segment("\n")


class SafeMarkdown(Markdown):
    """rich's Markdown for untrusted text: no hyperlinks, raw HTML shown as written, and
    images as their alt text and URL in the flow of their paragraph (rich would print
    them before the paragraph around them, as a link whose address is hidden).

    It never shows less than the text: an empty list item or heading keeps its marker,
    a list its numbers as written, and a single line break stays a line break (as chat
    interfaces and GitHub comments show it).
    """

    _parser: ClassVar[MarkdownIt | None] = None
    elements: ClassVar[dict[str, type[MarkdownElement]]] = {
        **Markdown.elements,
        "heading_open": VisibleHeading,
        "bullet_list_open": VisibleList,
        "ordered_list_open": VisibleList,
        "list_item_open": VisibleListItem,
    }

    def __init__(
        self, markup: str, code_theme: str = "monokai", tokens: list[Token] | None = None
    ) -> None:
        # rich's own __init__ would build a new parser for every instance (a third of the
        # cost of rendering a short block); these are the attributes it sets. `tokens`,
        # when given, are `markup` already parsed.
        self.markup = markup
        self.parsed = tokens if tokens is not None else self.parse(markup)
        self.code_theme = code_theme
        self.justify = None
        self.style = "none"
        self.hyperlinks = False
        self.inline_code_lexer = None
        self.inline_code_theme = code_theme

    @classmethod
    def parse(cls, markup: str) -> list[Token]:
        if cls._parser is None:
            cls._parser = make_parser()
        return cls._parser.parse(markup)

    def _flatten_tokens(self, tokens: Iterable[Token]) -> Iterable[Token]:
        for token in super()._flatten_tokens(tokens):
            if token.type == "softbreak":
                yield Token("hardbreak", "br", 0)
            elif token.type == "image":
                source = str(token.attrs.get("src", ""))
                title = token.content or source.strip("/").rsplit("/", 1)[-1]
                yield Token("text", "", 0, content=f"🌆 {title} ({source})")
            else:
                yield token
