"""The messages of one exchange, rebuilt from its events — once per exchange.

The chat source feeds it what it emits (in its thread), to send the answer so far and the
tool results back to the model; the history recorder and a session read the same transcript
once the exchange has ended. All get the same messages (`Message`): an assistant message per
round of tool calls (its text and its calls), one `tool` message per result, and the final
answer. A round whose calls did not all end (the chat was interrupted meanwhile) is left
out, calls and results alike: a call without its result cannot be sent back.
"""

from __future__ import annotations

import io
import threading
from typing import Any

from streamcli.events import Event

# A message, whatever the protocol (each provider converts it to its own shape):
#   {"role": "system" | "user" | "assistant", "content": str}
#   {"role": "assistant", "content": str, "tool_calls": [{"id", "name", "arguments": {...}}]}
#   {"role": "tool", "tool_call_id": str, "name": str, "content": str, "ok": bool}
Message = dict[str, Any]


class Transcript:
    """The messages of one exchange, rebuilt from its events (fed in one thread, read in
    another)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.messages: list[Message] = []  # the rounds closed so far
        # The assistant's text since the last round: one buffer, not an object per chunk
        # (4M one-character chunks would be 4M strings; here they are 4M characters).
        self._text = io.StringIO()
        self._calls: list[dict[str, Any]] = []
        self._results: dict[str, Message] = {}

    def feed(self, events: list[Event]) -> None:
        with self._lock:
            self._feed(events)

    def _feed(self, events: list[Event]) -> None:
        for event in events:
            kind = event.get("type")
            if kind == "text":
                self._close_round()
                self._text.write(event["text"])
            elif kind == "tool_start":
                self._close_round()
                call = {"id": event["id"], "name": event["name"], "arguments": event["arguments"]}
                self._calls.append(call)
            elif kind == "tool_end":
                call_id = event["id"]
                if any(call["id"] == call_id for call in self._calls):
                    self._results[call_id] = {
                        "role": "tool",
                        "tool_call_id": call_id,
                        "name": event["name"],
                        "content": event["output"],
                        "ok": event["ok"],
                    }

    @property
    def answer(self) -> str:
        """All the text the model wrote in this exchange, a blank line between rounds."""
        parts = [m["content"] for m in self.finish() if m["role"] == "assistant"]
        return "\n\n".join(part for part in parts if part)

    @property
    def calls(self) -> int:
        """How many tool calls were made (in rounds that completed)."""
        return sum(len(m.get("tool_calls") or ()) for m in self.messages)

    def finish(self) -> list[Message]:
        """The exchange's messages so far: the closed rounds and the text after them."""
        with self._lock:
            self._close_round()
            messages = list(self.messages)
            text = self._text.getvalue()
        if text:
            messages.append({"role": "assistant", "content": text})
        return messages

    def _close_round(self) -> None:
        """A round whose every call has its result becomes messages."""
        calls = self._calls
        if not calls or any(call["id"] not in self._results for call in calls):
            return
        text = self._text.getvalue()
        self.messages.append({"role": "assistant", "content": text, "tool_calls": calls})
        self.messages.extend(self._results[call["id"]] for call in calls)
        self._text, self._calls, self._results = io.StringIO(), [], {}
