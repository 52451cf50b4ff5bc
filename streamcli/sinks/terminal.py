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

The parts: `text_stream` (the answer), `reasoning_stream`, `layout` (what is printed for
good, the region, the blank rows between kinds), `event_rows` (how the other events look),
`live_region` (the bytes of a frame). This module routes events to them and paints.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import BinaryIO, NamedTuple

from rich.text import Text

from streamcli.events import Event
from streamcli.sanitize import sanitize
from streamcli.sinks import event_rows, present, spinner
from streamcli.sinks.ansi_lines import BLANK, ColorDepth, Renderer, Row, fold, raw_row
from streamcli.sinks.layout import Layout, RowKind
from streamcli.sinks.live_region import LiveRegion
from streamcli.sinks.logline import LineFormatter
from streamcli.sinks.reasoning_stream import ReasoningStream
from streamcli.sinks.stats import StreamStats
from streamcli.sinks.text_stream import MarkdownStream, RawStream, StreamedText
from streamcli.stream import Output, Sink

MIN_LAYOUT = 10


class _Tool(NamedTuple):
    name: str
    summary: str
    started: float


class TerminalSink(Sink):
    """Events on a terminal: the answer and reasoning as they stream, tool spinners,
    notices, log lines and the `--stats` line (live, or append-only into a pipe)."""

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
        self._hide_reasoning = hide_reasoning
        self._stats = StreamStats() if status_line and live else None
        self.renderer = Renderer(
            _layout(self._width), self._rows, color_system=color_system, no_color=no_color
        )
        self._screen = LiveRegion(live=live)
        self._rewraps = rewraps  # the terminal re-wraps its rows when it gets narrower
        self._layout = Layout()
        self._line_format = LineFormatter(labels=line_labels, raw=raw)
        self._text: StreamedText = (
            RawStream(self._layout)
            if raw
            else MarkdownStream(self.renderer, self._layout, cursor_glyph=cursor_glyph and live)
        )
        self._reasoning: StreamedText = ReasoningStream(self.renderer, self._layout)
        self._streaming: StreamedText | None = None  # the stream that is arriving now
        self._tools: dict[str, _Tool] = {}
        self._waiting: str | None = None
        self._waiting_since = self._epoch
        self._skipped = 0
        self._closed = False
        self._answered = False  # a visible character of text or a log line was shown

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
            elif kind == "tool_progress":
                self._on_tool_progress(event)
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
        if source == "tail" or self._layout.last_kind is not None or self._streaming is not None:
            return
        chat_like = source in ("chat", "bench") or "model" in event
        self._waiting = "waiting for model…" if chat_like else "waiting…"
        self._waiting_since = self._clock()

    def _on_text(self, event: Event) -> None:
        text = event.get("text")
        if not isinstance(text, str) or not text:
            return
        self._answered = self._answered or not text.isspace()
        self._stream_into(self._text, text)

    def _on_reasoning(self, event: Event) -> None:
        text = event.get("text")
        if not isinstance(text, str) or not text:
            return
        if self._hide_reasoning:
            if self._waiting is not None:
                self._waiting = "thinking…"
            return
        self._stream_into(self._reasoning, text)

    def _stream_into(self, stream: StreamedText, text: str) -> None:
        if self._streaming is not stream:
            self._end_stream()
            self._streaming = stream
        self._waiting = None
        stream.add(text)

    def _on_line(self, event: Event) -> None:
        self._answered = True
        self._end_stream()
        self._waiting = None
        if self._skipped:
            self._commit("line", event_rows.skipped(self._skipped))
            self._skipped = 0
            self._line_format.forget_file()
        rows: list[Row] = []
        for item in self._line_format.format(event):
            if isinstance(item, str):
                rows.append(raw_row(item))
            else:
                rows.extend(self.renderer.lines(item))
        self._layout.commit("line", rows)

    def _on_tool_start(self, event: Event) -> None:
        self._end_stream()
        self._waiting = None
        name = sanitize(str(event.get("name", "?")))
        summary = present.arguments_summary(event.get("arguments"))
        self._tools[str(event.get("id", name))] = _Tool(name, summary, self._clock())
        if not self._live:  # no spinner: say that it started
            self._commit("tool", event_rows.tool_started(name, summary))

    def _on_tool_progress(self, event: Event) -> None:
        """A running tool's progress (an MCP server's notification) replaces its summary."""
        key = str(event.get("id", ""))
        tool = self._tools.get(key)
        if tool is not None and self._live:
            message = present.shorten(present.one_line(str(event.get("message", ""))), 80)
            self._tools[key] = tool._replace(summary=message)

    def _on_tool_end(self, event: Event) -> None:
        self._end_stream()
        tool = self._tools.pop(str(event.get("id", "")), None)
        name = sanitize(str(event.get("name") or (tool.name if tool else "?")))
        ms = event.get("duration_ms")
        if not isinstance(ms, (int, float)) or isinstance(ms, bool):
            ms = (self._clock() - tool.started) * 1000 if tool else 0.0
        ok = event.get("ok") is True
        self._commit("tool", event_rows.tool_finished(name, ok, ms, event.get("output")))

    def _on_notice(self, event: Event) -> None:
        self._end_stream()
        self._commit("notice", event_rows.notice(event))

    def _on_error(self, event: Event) -> None:
        self._end_stream()
        self._waiting = None
        self._commit("notice", event_rows.error(event))

    def _on_end(self, event: Event) -> None:
        self._end_stream()
        self._waiting = None
        self._stop_tools()
        note = event_rows.end_note(event, self._answered)
        if note is not None:
            self._commit("notice", note)

    def _stop_tools(self) -> None:
        """Tools still running when the stream ends: say they were stopped."""
        now = self._clock()
        for tool in self._tools.values():
            self._commit("tool", event_rows.tool_stopped(tool.name, now - tool.started))
        self._tools.clear()

    def _commit(self, kind: RowKind, text: Text) -> None:
        """Print one piece of text for good."""
        self._layout.commit(kind, self.renderer.lines(text))

    def _end_stream(self) -> None:
        """Whatever is streaming (text or reasoning) is complete: print all of it."""
        if self._streaming is not None:
            self._streaming.settle(final=True)
        self._streaming = None

    # -- frames ----------------------------------------------------------------

    def _paint(self, region: bool = True, restore: bool = False) -> None:
        """One frame: print what became final, redraw the region, in one write."""
        self._text.settle()
        self._reasoning.settle()
        rows = self._region() if region and not self._layout.open_line else []
        final = self._layout.take()
        if self._width < self.renderer.width:  # a screen narrower than any layout
            final = [part for row in final for part in fold(row, self._width)]
            rows = [part for row in rows for part in fold(row, self._width)][-(self._rows - 1) :]
        data = self._screen.frame(final, rows, self._width, self._rows)
        if restore:
            data += self._screen.restore()
        self._last_paint = self._clock()
        if data:
            self.output.write(data.encode("utf-8", "replace"))

    def _region(self) -> list[Row]:
        """The live rows: the unfinished text, spinners, the status line."""
        if not self._live:
            return []
        now = self._clock()
        stream = self._streaming
        live = stream.live_rows(self._rows) if stream is not None else []
        spinners = [
            self._one_row(event_rows.tool_running(tool.name, tool.summary, now - tool.started))
            for tool in self._tools.values()
        ]
        if self._waiting is not None:
            label = event_rows.waiting(self._waiting, now - self._waiting_since)
            spinners.append(self._one_row(label))
        status = None
        if self._stats is not None:
            status = self._one_row(event_rows.status(self._stats.summary(), now - self._epoch))
        kind = stream.kind if stream is not None else "markdown"
        return self._layout.region(kind, live, spinners, status, self._rows)

    def _one_row(self, text: Text) -> Row:
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
            self.renderer.resize(_layout(size[0]), size[1])


def _usable(size: tuple[int, int]) -> tuple[int, int]:
    columns, rows = size
    return max(columns, 1), max(rows, 3)


def _layout(columns: int) -> int:
    """The width Markdown is laid out at: the screen's, but at least `MIN_LAYOUT` (lists,
    quotes and tables need room for their indents); narrower rows are then folded."""
    return max(columns, MIN_LAYOUT)
