"""The history tap: stores a chat's exchange as its events pass through the pipeline.

The exchange is stored as running when the stream starts and completed at its `end`
event, with what the model said and which tools it called (rebuilt by `Transcript`), the
usage and the timings. The pipeline ends every stream with an `end` event — also on an
error, Ctrl-C or SIGTERM — so an exchange is marked failed (no assistant message kept)
or interrupted (kept, marked) as it happened. The history is a record, not the stream:
when it cannot be written, the chat goes on and one line on stderr says so at the end.
"""

from __future__ import annotations

import sqlite3
from typing import TextIO

from streamcli.events import Event
from streamcli.history import History
from streamcli.sanitize import sanitize
from streamcli.sinks.base import Sink
from streamcli.sources.chat.transcript import Transcript


class HistoryRecorder(Sink):
    def __init__(
        self,
        history: History,
        conversation: int | None,
        *,
        prompt: str,
        system: str | None,
        stderr: TextIO,
    ) -> None:
        self.history = history
        self.conversation = conversation
        self.exchange: int | None = None
        self._prompt = prompt
        self._system = system
        self._stderr = stderr
        self._transcript = Transcript()
        self._error: str | None = None
        self._done = False
        self._problem: str | None = None

    def write(self, events: list[Event]) -> None:
        if self._done or self._problem:
            return
        try:
            self._write(events)
        except sqlite3.Error as exc:
            self._problem = str(exc)

    def _write(self, events: list[Event]) -> None:
        self._transcript.feed(events)
        for event in events:
            kind = event.get("type")
            if kind == "start" and self.exchange is None:
                self.conversation, self.exchange = self.history.begin(
                    self.conversation,
                    prompt=self._prompt,
                    system=self._system,
                    provider=event.get("provider"),
                    model=event.get("model"),
                )
            elif kind == "error":
                self._error = str(event.get("message", ""))
            elif kind == "end" and self.exchange is not None:
                self._end(event)
                return

    def _end(self, event: Event) -> None:
        reason = event.get("reason")
        usage = event.get("usage") if isinstance(event.get("usage"), dict) else {}
        fields = {
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
        assert self.exchange is not None
        self.history.finish(self.exchange, **fields)
        self._done = True

    def close(self) -> None:
        """Report a problem (after the display is gone), and close the database."""
        if self.exchange is not None and not self._done and not self._problem:
            try:
                self.history.finish(
                    self.exchange, status="failed", error="the stream ended without its end"
                )
            except sqlite3.Error as exc:
                self._problem = str(exc)
        if self._problem:
            self._stderr.write(
                f"streamcli: warning: this exchange was not saved in the history "
                f"{sanitize(str(self.history.path))}: {sanitize(self._problem)}\n"
            )
            self._stderr.flush()
        self.history.close()
