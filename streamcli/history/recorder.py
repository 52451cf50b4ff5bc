"""The history tap: stores a chat's exchange as its events pass through the pipeline.

The exchange is stored as running when the stream starts and completed at its `end`
event, with what the model said and which tools it called (the source's `Transcript`),
the usage and the timings. The pipeline ends every stream with an `end` event — also on an
error, Ctrl-C or SIGTERM — so an exchange is marked failed (no assistant message kept)
or interrupted (kept, marked) as it happened.

The database is opened and written in a thread of their own, from the `start` event
on (while the model is being asked): opening it and another process's write
transaction may take a while, and that must never hold back the answer on the screen.
`close` waits for the writes (after the display is gone). The history is a record, not
the stream: when it cannot be opened or written, the chat goes on and one line on stderr
says so at the end.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, TextIO

from streamcli.errors import StreamcliError
from streamcli.events import Event
from streamcli.sanitize import sanitize
from streamcli.stream import Sink
from streamcli.transcript import Transcript

if TYPE_CHECKING:
    from streamcli.history.store import History

CLOSE_WAIT = 20.0  # seconds `close` waits for the last write (a busy database waits 15)


class HistoryRecorder(Sink):
    """A tap that stores one chat exchange in the history as it streams."""

    label = "the history"

    def __init__(
        self,
        opener: Callable[[], History],
        conversation: int | None,
        *,
        prompt: str,
        system: str | None,
        stderr: TextIO,
        transcript: Transcript,
    ) -> None:
        self._opener = opener
        self.history: History | None = None
        self.conversation = conversation
        self.exchange: int | None = None
        self._prompt = prompt
        self._system = system
        self._stderr = stderr
        self._transcript = transcript  # the source's, complete once its `end` passes
        self._error: str | None = None
        self._begun = False
        self._done = False
        self._problem: str | None = None
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._writer = threading.Thread(target=self._work, name="streamcli-history", daemon=True)
        self._writer.start()

    # -- the tap (main thread): only bookkeeping -------------------------------------

    def write(self, events: list[Event]) -> None:
        if self._done:
            return
        for event in events:
            kind = event.get("type")
            if kind == "start" and not self._begun:
                self._begun = True
                self._jobs.put(partial(self._begin, event.get("provider"), event.get("model")))
            elif kind == "error":
                self._error = str(event.get("message", ""))
            elif kind == "end" and self._begun:
                self._jobs.put(partial(self._finish, self._ending(event)))
                self._done = True
                return

    def _ending(self, event: Event) -> dict[str, Any]:
        reason = event.get("reason")
        usage = event.get("usage")
        if not isinstance(usage, dict):
            usage = {}
        fields: dict[str, Any] = {
            "end_reason": reason,
            "input_tokens": usage.get("input_tokens"),
            "output_tokens": usage.get("output_tokens"),
            "ttft_ms": event.get("ttft_ms"),
            "duration_ms": event.get("duration_ms"),
        }
        if reason == "error" or self._error is not None:
            fields.update(status="failed", error=self._error or "the stream failed")
        else:
            fields.update(
                status="interrupted" if reason == "interrupted" else "complete",
                answer=self._transcript.answer,
                messages=self._transcript.finish(),
                tool_calls=self._transcript.calls,
            )
        return fields

    def close(self) -> None:
        """Wait for the writes, report a problem (the display is gone by now), close."""
        if self._begun and not self._done:
            failed = {"status": "failed", "error": "the stream ended without its end event"}
            self._jobs.put(partial(self._finish, failed))
            self._done = True
        self._jobs.put(None)
        self._writer.join(CLOSE_WAIT)
        if self._writer.is_alive():
            self._problem = f"the history database stayed busy for {CLOSE_WAIT:g} s"
        elif self.history is not None:
            self.history.close()
        if self._problem:
            self._stderr.write(
                f"streamcli: warning: this exchange was not saved: {sanitize(self._problem)}\n"
            )
            self._stderr.flush()

    # -- the writer thread -----------------------------------------------------------

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            if self._problem is None:
                try:
                    job()
                except StreamcliError as exc:  # the history cannot be opened
                    self._problem = exc.message
                except Exception as exc:  # sqlite3.Error, OSError: a record, not the stream
                    where = self.history.path if self.history is not None else "the history"
                    self._problem = f"cannot write {where}: {exc}"

    def _begin(self, provider: Any, model: Any) -> None:
        if self.history is None:
            self.history = self._opener()
        self.conversation, self.exchange = self.history.begin(
            self.conversation,
            prompt=self._prompt,
            system=self._system,
            provider=provider,
            model=model,
        )

    def _finish(self, fields: dict[str, Any]) -> None:
        if self.history is not None and self.exchange is not None:
            self.history.finish(self.exchange, **fields)
