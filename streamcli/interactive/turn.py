"""The parts of a session's turn: the tap that says what the turn added to the
conversation, and the answer read early (from Enter on, while the prompt closes)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator

from streamcli.events import Event
from streamcli.history.store import marked_interrupted
from streamcli.stream import Sink, Source
from streamcli.transcript import Message, Transcript

QUEUE_BATCHES = 16  # batches read early that wait for the pipeline


class TurnTap(Sink):
    """What one turn said as it passes: the model named at `start`, how the turn ended,
    and (from the answer's `transcript`) the messages after the question."""

    label = "the session"

    def __init__(self, transcript: Transcript) -> None:
        self.transcript = transcript
        self.model: str | None = None
        self.reason: str | None = None
        self.failed = False

    def write(self, events: list[Event]) -> None:
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


class EarlyStart(Source):
    """A source already being read, in a thread of its own, since Enter was pressed: the
    request is on its way while the prompt closes; the pipeline then takes the batches in
    order, as if it had read them itself. What waits for the pipeline is bounded."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.name = source.name
        self.output = source.output
        self.line_labels = source.line_labels
        self.taps = source.taps
        self._items: queue.Queue[object] = queue.Queue(QUEUE_BATCHES)
        self._closed = threading.Event()
        self._reader = threading.Thread(target=self._read, name="streamcli-early", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        try:
            for batch in self.source.batches():
                if not self._put(batch):
                    return
        except BaseException as exc:  # raised again in the pipeline's worker
            self._put(_Raised(exc))
        self._put(_DONE)

    def _put(self, item: object) -> bool:
        """Hand `item` on, waiting while the queue is full; False once closed."""
        while not self._closed.is_set():
            try:
                self._items.put(item, timeout=0.1)
            except queue.Full:
                continue
            return True
        return False

    def batches(self) -> Iterator[list[Event]]:
        while True:
            try:
                item = self._items.get(timeout=0.1)
            except queue.Empty:
                if self._closed.is_set() and not self._reader.is_alive():
                    return  # closed, and the reader gave up handing on
                continue
            if item is _DONE:
                return
            if isinstance(item, _Raised):
                raise item.exc
            yield item  # type: ignore[misc]  # a batch

    def close(self) -> None:
        self._closed.set()
        self.source.close()


class _Raised:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


_DONE = object()
