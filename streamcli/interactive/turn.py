"""One turn of a session: the question streamed through the pipeline to the sink a one-shot
answer gets, with the same taps (history, `--record`, `--stats`) and one of its own that
keeps what the turn added to the conversation."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence

from streamcli.env import Environment
from streamcli.events import Event
from streamcli.history.store import marked_interrupted
from streamcli.interactive.terminal import CookedForQuestions, TerminalModes
from streamcli.pipeline import Pipeline, Source
from streamcli.sinks import OutputOptions, choose_sink
from streamcli.sinks.base import Sink
from streamcli.transcript import Message, Transcript


class TurnTap(Sink):
    """What one turn said as it passes: the model named at `start`, the messages after
    the question, and how the turn ended."""

    label = "the session"

    def __init__(self) -> None:
        self.transcript = Transcript()
        self.model: str | None = None
        self.reason: str | None = None
        self.failed = False

    def write(self, events: list[Event]) -> None:
        self.transcript.feed(events)
        for event in events:
            kind = event.get("type")
            if kind == "start" and event.get("model"):
                self.model = str(event["model"])
            elif kind == "error":
                self.failed = True
            elif kind == "end":
                self.reason = event.get("reason")

    def messages(self) -> list[Message] | None:
        """The messages the turn adds after its question (an interrupted answer marked so),
        or None when it failed: a failed turn is not sent again."""
        if self.failed or self.reason in (None, "error"):
            return None
        messages = self.transcript.finish()
        return marked_interrupted(messages) if self.reason == "interrupted" else messages


def run_turn(
    source: Source,
    env: Environment,
    options: OutputOptions,
    taps: Sequence[Sink],
    modes: TerminalModes | None = None,
) -> int:
    """Stream `source` to the sink `choose_sink` picks, and to `taps`; the exit status.
    With `modes`, the terminal is as found while a question is asked."""
    sink = choose_sink(env, options, source)
    if modes is not None:
        sink = CookedForQuestions(sink, modes)
    every = [*source.taps, *taps]
    if options.stats:
        from streamcli.sinks.stats import StatsTap

        every.append(StatsTap(env.stderr))
    return Pipeline(source, sink, every, stderr=env.stderr).run()


class EarlyStart(Source):
    """A source already being read, in a thread of its own, since Enter was pressed: the
    request is on its way while the prompt closes; the pipeline then takes the batches
    (and any `Hold`) in order, as if it had read them itself."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.name = source.name
        self.output = source.output
        self.line_labels = source.line_labels
        self.taps = source.taps
        self._items: queue.SimpleQueue[object] = queue.SimpleQueue()
        threading.Thread(target=self._read, name="streamcli-early", daemon=True).start()

    def _read(self) -> None:
        try:
            for batch in self.source.batches():
                self._items.put(batch)
        except BaseException as exc:  # raised again in the pipeline's worker
            self._items.put(_Raised(exc))
        self._items.put(_DONE)

    def batches(self) -> Iterator[list[Event]]:
        while (item := self._items.get()) is not _DONE:
            if isinstance(item, _Raised):
                raise item.exc
            yield item  # type: ignore[misc]  # a batch, or a Hold

    def close(self) -> None:
        self.source.close()


class _Raised:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


_DONE = object()
