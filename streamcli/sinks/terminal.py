"""The live terminal: Markdown as it arrives, spinners for tool calls, an optional status line.

Finished Markdown blocks are printed once into the scrollback and never redrawn; only the
last, unfinished block lives in a small region at the bottom of the screen, redrawn per
frame (see `live_region`), together with one spinner line per running tool, a "waiting
for model…" spinner until the first token and the `--stats` line. A block taller than
the screen shows its bottom part while it is live and is printed whole when it is done.
Spinner ticks redraw the region from cached lines and never render Markdown again.

Not interactive (`FORCE_COLOR` into a pipe), the same sink runs in append mode: finished
blocks are printed as they complete, in colour, and the cursor never moves up.

Every piece of untrusted text is sanitized before it is rendered, nothing is ever parsed
as rich markup, and links show their URL. `close` always leaves the cursor visible and no
spinner or half-drawn region behind.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Iterator
from typing import BinaryIO, NamedTuple

from rich.text import Text

from streamcli.events import Event
from streamcli.sanitize import Sanitizer, sanitize
from streamcli.sinks import event_rows, present, spinner
from streamcli.sinks.ansi_lines import BLANK, PLAIN, ColorDepth, Line, Renderer, raw_line
from streamcli.sinks.base import Output, Sink
from streamcli.sinks.live_region import LiveRegion
from streamcli.sinks.logline import LineFormatter
from streamcli.sinks.markdown_blocks import (
    Block,
    BlockSplitter,
    SafeMarkdown,
    line_offset,
    top_level_groups,
)
from streamcli.sinks.stats import StreamStats

CURSOR_GLYPH = "▋"

_TABLE_DELIMITER = re.compile(r"^ {0,3}\|?[ \t:|-]*-[ \t:|-]*$")

# What kind of content a row belongs to, for the blank lines between them.
_MARKDOWN, _REASONING_KIND, _TOOL, _LINE, _NOTICE_KIND = (
    "markdown",
    "reasoning",
    "tool",
    "line",
    "notice",
)


class _Tool(NamedTuple):
    name: str
    summary: str
    started: float


class TerminalSink(Sink):
    shows_errors = True

    def __init__(
        self,
        stdout: BinaryIO,
        *,
        size: Callable[[], tuple[int, int]],
        live: bool = True,
        color_system: ColorDepth = "truecolor",
        no_color: bool = False,
        hide_reasoning: bool = False,
        cursor_glyph: bool = True,
        status_line: bool = False,
        raw: bool = False,
        line_labels: str = "none",
        rewraps: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.output = Output(stdout)
        self._size = size
        self._width, self._rows = _usable(size())
        self._clock = clock
        self._epoch = self._last_paint = clock()
        self._live = live
        self._raw = raw
        self._hide_reasoning = hide_reasoning
        self._cursor_glyph = cursor_glyph and live
        self._stats = StreamStats() if status_line and live else None
        self.renderer = Renderer(
            self._width, self._rows, color_system=color_system, no_color=no_color
        )
        self._screen = LiveRegion(live=live)
        self._rewraps = rewraps  # the terminal re-wraps its rows when it gets narrower
        self._line_format = LineFormatter(labels=line_labels, raw=raw)

        self._blocks = BlockSplitter()
        self._text_parts: list[str] = []
        self._text_sanitizer = Sanitizer()
        self._reasoning_parts: list[str] = []
        self._reasoning_sanitizer = Sanitizer()
        self._reasoning_tail = ""  # the unfinished last line of the reasoning
        self._streaming: str | None = None  # "text" or "reasoning": what is arriving now
        self._raw_midline = False

        self._final: list[Line] = []  # rows printed for good in the frame being built
        self._last_kind: str | None = None  # the kind of the last row printed for good
        self._gap_after_block = True  # a blank row after the last block (not after a rule)
        self._tools: dict[str, _Tool] = {}
        self._waiting: str | None = None
        self._waiting_since = self._epoch
        self._skipped = 0
        self._tail_cache: tuple[str, int, list[Line]] | None = None
        self._finished_cache: tuple[str, int, list[Line]] | None = None
        self._reasoning_cache: tuple[str, int, list[Line]] | None = None
        self._closed = False

    # -- the Sink interface --------------------------------------------------

    def write(self, events: list[Event]) -> None:
        if self._closed:
            return
        with self._restored_on_failure():
            self._write(events)

    def _write(self, events: list[Event]) -> None:
        self._check_size()
        if self._stats is not None:
            self._stats.observe(events)
        skip = self._lines_to_skip(events) if self._live else 0
        for event in events:
            kind = event.get("type")
            if kind == "text":
                self._on_text(event)
            elif kind == "line":
                if skip:
                    skip -= 1
                    self._skipped += 1
                    continue
                self._on_line(event)
            elif kind == "reasoning":
                self._on_reasoning(event)
            elif kind == "tool_start":
                self._on_tool_start(event)
            elif kind == "tool_end":
                self._on_tool_end(event)
            elif kind == "notice":
                self._on_notice(event)
            elif kind == "error":
                self._on_error(event)
            elif kind == "end":
                self._on_end(event)
            elif kind == "start":
                self._on_start(event)
        self._paint()

    def next_tick(self) -> float | None:
        if self._closed or not self._live:
            return None
        if not (self._tools or self._waiting or self._stats is not None):
            return None
        return spinner.next_frame(self._epoch, self._last_paint)

    def tick(self) -> None:
        if self._closed:
            return
        with self._restored_on_failure():
            self._check_size()
            self._paint()

    def suspend(self) -> None:
        """A question needs the terminal: print what streamed for good, erase the live
        region (spinners, status) and show the cursor, until `resume`."""
        if self._closed:
            return
        with self._restored_on_failure():
            self._end_stream()
            self._paint(region=False)
            restore = self._screen.restore()
            if restore:
                self.output.write(restore.encode())

    def resume(self) -> None:
        self.tick()

    @contextlib.contextmanager
    def _restored_on_failure(self) -> Iterator[None]:
        """A bug must not leave the cursor hidden: show it before the error travels on."""
        try:
            yield
        except Exception:
            restore = self._screen.restore()
            if restore:
                with contextlib.suppress(OSError):
                    self.output.write(restore.encode())
            raise

    def close(self) -> None:
        """Print everything that is left, erase spinners and status, show the cursor."""
        if self._closed:
            return
        self._closed = True
        try:
            self._end_stream()
            self._stop_tools()
            self._waiting = None
            self._stats = None
            self._paint(region=False, restore=True)
        finally:
            restore = self._screen.restore()  # (only if the last frame failed)
            if restore:
                self.output.write(restore.encode())

    # -- events --------------------------------------------------------------

    def _on_start(self, event: Event) -> None:
        source = event.get("source")
        if source == "tail" or self._last_kind is not None or self._streaming:
            return
        chat_like = source in ("chat", "bench") or "model" in event
        self._waiting = "waiting for model…" if chat_like else "waiting…"
        self._waiting_since = self._clock()

    def _on_text(self, event: Event) -> None:
        text = event.get("text")
        if not isinstance(text, str) or not text:
            return
        if self._streaming != "text":
            self._end_stream()
            self._streaming = "text"
        self._waiting = None
        self._text_parts.append(text)

    def _on_reasoning(self, event: Event) -> None:
        text = event.get("text")
        if not isinstance(text, str) or not text:
            return
        if self._hide_reasoning:
            if self._waiting is not None:
                self._waiting = "thinking…"
            return
        if self._streaming != "reasoning":
            self._end_stream()
            self._streaming = "reasoning"
        self._waiting = None
        self._reasoning_parts.append(text)

    def _on_line(self, event: Event) -> None:
        self._end_stream()
        self._waiting = None
        if self._skipped:
            self._commit(_LINE, self.renderer.lines(event_rows.skipped(self._skipped)))
            self._skipped = 0
            self._line_format.forget_file()
        lines: list[Line] = []
        for item in self._line_format.format(event):
            if isinstance(item, str):
                lines.append(raw_line(item))
            else:
                lines.extend(self.renderer.lines(item))
        self._commit(_LINE, lines)

    def _on_tool_start(self, event: Event) -> None:
        self._end_stream()
        self._waiting = None
        name = sanitize(str(event.get("name", "?")))
        summary = present.arguments_summary(event.get("arguments"))
        self._tools[str(event.get("id", name))] = _Tool(name, summary, self._clock())
        if not self._live:  # no spinner: say that it started
            self._commit(_TOOL, self.renderer.lines(event_rows.tool_started(name, summary)))

    def _on_tool_end(self, event: Event) -> None:
        self._end_stream()
        tool = self._tools.pop(str(event.get("id", "")), None)
        name = sanitize(str(event.get("name") or (tool.name if tool else "?")))
        ms = event.get("duration_ms")
        if not isinstance(ms, (int, float)) or isinstance(ms, bool):
            ms = (self._clock() - tool.started) * 1000 if tool else 0.0
        row = event_rows.tool_finished(name, event.get("ok") is True, ms, event.get("output"))
        self._commit(_TOOL, self.renderer.lines(row))

    def _on_notice(self, event: Event) -> None:
        self._end_stream()
        self._commit(_NOTICE_KIND, self.renderer.lines(event_rows.notice(event)))

    def _on_error(self, event: Event) -> None:
        self._end_stream()
        self._waiting = None
        self._commit(_NOTICE_KIND, self.renderer.lines(event_rows.error(event)))

    def _on_end(self, event: Event) -> None:
        self._end_stream()
        self._waiting = None
        self._stop_tools()
        note = event_rows.end_note(event)
        if note is not None:
            self._commit(_NOTICE_KIND, self.renderer.lines(note))

    def _stop_tools(self) -> None:
        """Tools still running when the stream ends: say they were stopped."""
        now = self._clock()
        for tool in self._tools.values():
            stopped = event_rows.tool_stopped(tool.name, now - tool.started)
            self._commit(_TOOL, self.renderer.lines(stopped))
        self._tools.clear()

    # -- streamed text ---------------------------------------------------------

    def _end_stream(self) -> None:
        """Whatever is streaming (text or reasoning) is complete: print all of it."""
        if self._streaming == "text":
            self._settle_text(final=True)
        elif self._streaming == "reasoning":
            self._settle_reasoning(final=True)
        self._streaming = None

    def _settle_text(self, final: bool = False) -> None:
        """Move arrived text into the splitter and print the blocks that are finished."""
        if self._text_parts:
            joined = "".join(self._text_parts)
            self._text_parts.clear()
            if self._raw:
                self._commit_raw(joined)
            else:
                self._commit_blocks(self._blocks.feed(self._text_sanitizer.feed(joined)))
        if final:
            if self._raw:
                if self._raw_midline:
                    self._final.append(raw_line(""))
                    self._raw_midline = False
            else:
                held = self._blocks.feed(self._text_sanitizer.flush())
                self._commit_blocks(held + self._blocks.finish())
                self._tail_cache = None

    def _commit_blocks(self, blocks: list[Block]) -> None:
        for block in blocks:
            lines = self._cached_render(block.source) or self.renderer.markdown(block.source)
            if lines:
                self._commit(_MARKDOWN, lines)
                self._gap_after_block = block.type != "hr"

    def _cached_render(self, source: str) -> list[Line] | None:
        """The rows of a block that was rendered live just before it finished."""
        cache = self._finished_cache
        if cache is None or cache[1] != self._width or cache[0].rstrip() != source.rstrip():
            return None
        return cache[2]

    def _commit_raw(self, text: str) -> None:
        """`--raw`: text untouched, as rows and a last fragment without its newline."""
        if self._last_kind not in (None, _MARKDOWN) and self._needs_gap(self._last_kind, _MARKDOWN):
            self._final.append(BLANK)
        rows = text.split("\n")
        for row in rows[:-1]:
            self._final.append(raw_line(row))
        if rows[-1]:
            self._final.append(raw_line(rows[-1], newline=False))
        self._raw_midline = bool(rows[-1])
        self._last_kind = _MARKDOWN

    def _settle_reasoning(self, final: bool = False) -> None:
        if self._reasoning_parts:
            joined = "".join(self._reasoning_parts)
            self._reasoning_parts.clear()
            self._reasoning_tail += self._reasoning_sanitizer.feed(joined)
        if final:
            self._reasoning_tail += self._reasoning_sanitizer.flush()
            done, self._reasoning_tail = self._reasoning_tail, ""
        else:
            cut = self._reasoning_tail.rfind("\n")
            if cut < 0:
                return
            done = self._reasoning_tail[:cut]
            self._reasoning_tail = self._reasoning_tail[cut + 1 :]
        if done:
            done_text = Text(done, style=event_rows.REASONING)
            self._commit(_REASONING_KIND, self.renderer.lines(done_text))

    # -- frames ----------------------------------------------------------------

    def _commit(self, kind: str, lines: list[Line]) -> None:
        """Print `lines` for good, after a blank row where the content changes kind."""
        if self._raw_midline:
            self._final.append(raw_line(""))
            self._raw_midline = False
        if self._needs_gap(self._last_kind, kind):
            self._final.append(BLANK)
        self._final.extend(lines)
        self._last_kind = kind

    def _needs_gap(self, above: str | None, kind: str) -> bool:
        if above is None:
            return False
        if above == kind:
            return kind == _MARKDOWN and self._gap_after_block
        return _MARKDOWN in (above, kind) or _REASONING_KIND in (above, kind)

    def _paint(self, region: bool = True, restore: bool = False) -> None:
        """One frame: print what became final, redraw the region, in one write."""
        self._settle_text()
        self._settle_reasoning()
        rows = self._region() if region and not self._raw_midline else []
        data = self._screen.frame(self._final, rows, self._width, self._rows)
        if restore:
            data += self._screen.restore()
        self._final = []
        self._last_paint = self._clock()
        if data:
            self.output.write(data.encode("utf-8", "replace"))

    def _region(self) -> list[Line]:
        """The live rows: the unfinished block, spinners, the status line."""
        if not self._live:
            return []
        now = self._clock()
        below: list[Line] = []  # everything under the live text
        above = self._last_kind
        live_kind, live = self._live_rows()
        if live:
            above = live_kind
        spinners = [
            self._one_row(event_rows.tool_running(tool.name, tool.summary, now - tool.started))
            for tool in self._tools.values()
        ]
        if self._waiting is not None:
            label = event_rows.waiting(self._waiting, now - self._waiting_since)
            spinners.append(self._one_row(label))
        if spinners:
            if self._needs_gap(above, _TOOL):
                below.append(BLANK)
            below.extend(spinners)
        if self._stats is not None:
            if live or below or self._last_kind is not None:
                below.append(BLANK)
            status = event_rows.status(self._stats.summary(), now - self._epoch)
            below.append(self._one_row(status))
        if not live:
            return below
        gap = [BLANK] if self._needs_gap(self._last_kind, live_kind) else []
        room = max(1, self._rows - 1 - len(below) - len(gap))
        if len(live) > room:
            live = live[-room:]  # a tall block shows its bottom part while it is live
        return [*gap, *live, *below]

    def _live_rows(self) -> tuple[str, list[Line]]:
        if self._streaming == "text" and not self._raw:
            tail = self._blocks.tail
            if not tail.strip():
                return _MARKDOWN, []
            lines = self._tail_rows(tail)
            if self._cursor_glyph:
                lines = _with_glyph(lines, self._width)
            return _MARKDOWN, lines
        if self._streaming == "reasoning" and self._reasoning_tail:
            tail = self._reasoning_tail
            cache = self._reasoning_cache
            if cache is None or cache[0] != tail or cache[1] != self._width:
                lines = self.renderer.lines(Text(tail, style=event_rows.REASONING))
                self._reasoning_cache = cache = (tail, self._width, lines)
            return _REASONING_KIND, cache[2]
        return _MARKDOWN, []

    def _tail_rows(self, tail: str) -> list[Line]:
        """The live block rendered (cached: ticks and repeated frames never re-render).

        When the tail holds the start of a next block (its first line is still
        arriving), the blocks before it are rendered on their own: they are about to be
        printed for good, and those rows are reused then instead of rendered again.
        """
        cache = self._tail_cache
        if cache is not None and cache[1] == self._width and cache[0] == tail:
            return cache[2]
        source, trimmed = _trim_tall(tail, self._rows, self._width)
        groups = top_level_groups(SafeMarkdown.parse(source))
        render = self.renderer.markdown
        if len(groups) > 1 and not trimmed:
            cut = line_offset(source, groups[-1][0])
            head = source[:cut]
            head_rows = render(head, [token for group in groups[:-1] for token in group[2]])
            gap = [BLANK] if head_rows and groups[-2][1] != "hr" else []
            rows = [*head_rows, *gap, *render(source[cut:], groups[-1][2])]
            self._finished_cache = (head, self._width, head_rows)
        else:
            rows = render(source, [token for group in groups for token in group[2]])
            if not trimmed:
                self._finished_cache = (source, self._width, rows)
        self._tail_cache = (tail, self._width, rows)
        return rows

    def _one_row(self, text: Text) -> Line:
        text.no_wrap = True
        text.overflow = "ellipsis"
        lines = self.renderer.lines(text)
        return lines[0] if lines else BLANK

    # -- floods and sizes ------------------------------------------------------

    def _lines_to_skip(self, events: list[Event]) -> int:
        """How many of this frame's oldest log lines to skip so the newest screenful shows."""
        count = 0
        for event in events:
            if event.get("type") == "line":
                count += 1
        room = max(1, self._rows - 3 - len(self._tools) - (2 if self._stats else 0))
        return count - room if count > room else 0

    def _check_size(self) -> None:
        """Apply a new terminal size (SIGWINCH) from this frame on."""
        size = _usable(self._size())
        if size != (self._width, self._rows):
            if self._rewraps:
                self._screen.rewrapped(self._width, size[0])
            self._width, self._rows = size
            self.renderer.resize(*size)


def _usable(size: tuple[int, int]) -> tuple[int, int]:
    columns, rows = size
    return max(columns, 10), max(rows, 3)


def _with_glyph(lines: list[Line], width: int) -> list[Line]:
    """`lines` with the streaming cursor after the last character."""
    glyph = (CURSOR_GLYPH, PLAIN)
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        if line.cells > 0:
            if line.cells < width:
                marked = Line((*line.runs, glyph), line.cells + 1, line.fill)
                return [*lines[:index], marked, *lines[index + 1 :]]
            return [*lines[: index + 1], Line((glyph,), 1), *lines[index + 1 :]]
    return [*lines, Line((glyph,), 1)]


def _trim_tall(tail: str, rows: int, width: int) -> tuple[str, bool]:
    """For a block far taller than the screen, only its head and its end are rendered.

    The region shows only the bottom of such a block anyway. Keeping the first line (two
    for a table: header and delimiter) keeps the block's kind; keeping the last `rows`
    lines, and of a very long last line only its end, bounds the cost of a frame by the
    screen, not by the block.
    """
    limit = 2 * rows * width
    if len(tail) <= limit and tail.count("\n") <= 2 * rows:
        return tail, False
    lines = tail.split("\n")
    head_count = 2 if len(lines) > 1 and _TABLE_DELIMITER.match(lines[1]) else 1
    head = [line[:width] for line in lines[:head_count]]
    body = lines[head_count:][-rows:]
    if not body:  # one huge line: its end matters, not its first characters
        head, body = [], lines[-1:]
    end = "\n".join(body)
    if len(end) > limit:
        end = end[-limit:]
        space = end.find(" ")
        if 0 <= space < width:
            end = end[space + 1 :]  # start at a word
    return "\n".join([*head, end]), True
