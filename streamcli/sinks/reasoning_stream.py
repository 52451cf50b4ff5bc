"""The model's reasoning (`reasoning` events) on the terminal, dim and italic.

Complete lines are printed for good as they arrive; the unfinished last line is live,
rendered once per change (ticks reuse it).
"""

from __future__ import annotations

from rich.text import Text

from streamcli.sanitize import Sanitizer
from streamcli.sinks.ansi_lines import Rendered, Renderer, Row
from streamcli.sinks.event_rows import REASONING
from streamcli.sinks.layout import Layout, RowKind
from streamcli.sinks.text_stream import StreamedText


class ReasoningStream(StreamedText):
    """Reasoning text: whole lines printed for good, the last line live."""

    kind: RowKind = "reasoning"

    def __init__(self, renderer: Renderer, layout: Layout) -> None:
        super().__init__(layout)
        self._renderer = renderer
        self._sanitizer = Sanitizer()
        self._tail = ""  # the unfinished last line
        self._live: Rendered | None = None  # the last line as the region shows it

    def settle(self, final: bool = False) -> None:
        """Print the lines that are complete (with `final`, all of it)."""
        if arrived := self._arrived():
            self._tail += self._sanitizer.feed(arrived)
        if final:
            self._tail += self._sanitizer.flush()
            done, self._tail = self._tail, ""
        else:
            cut = self._tail.rfind("\n")
            if cut < 0:
                return
            done = self._tail[:cut]
            self._tail = self._tail[cut + 1 :]
        if done:
            self._layout.commit("reasoning", self._renderer.lines(Text(done, style=REASONING)))

    def live_rows(self, height: int) -> list[Row]:
        """The unfinished last line (`height` does not matter: it is one line of text)."""
        tail = self._tail
        if not tail:
            return []
        width = self._renderer.width
        live = self._live
        if live is None or live.source != tail or live.width != width:
            rows = self._renderer.lines(Text(tail, style=REASONING))
            self._live = live = Rendered(tail, width, rows)
        return live.rows
