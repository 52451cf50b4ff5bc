"""Tool calls approved on the page: the question goes to the page that asked, as an
`approval` event in its stream, and only that page's session can answer it.

The approver borrows the stream's display (`Screen`), as the terminal approver does: the
pipeline first writes every event before the question, so the page shows the answer so
far, then the question; nothing else is written until the call is approved or denied.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from streamcli import events
from streamcli.stream import Screen, Sink
from streamcli.tools.approval import DENIED
from streamcli.tools.spec import Tool

POLL = 0.1


@dataclass
class _Waiting:
    session: str
    answered: threading.Event = field(default_factory=threading.Event)
    allowed: bool = False


class Approvals:
    """The questions waiting for a page's answer, by their ids."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[str, _Waiting] = {}

    def ask(self, session: str) -> tuple[str, _Waiting]:
        number = secrets.token_urlsafe(12)
        waiting = _Waiting(session)
        with self._lock:
            self._waiting[number] = waiting
        return number, waiting

    def forget(self, number: str) -> None:
        with self._lock:
            self._waiting.pop(number, None)

    def answer(self, number: str, session: str | None, allowed: bool) -> bool:
        """Answer the question `number`; False when there is none for `session`."""
        with self._lock:
            waiting = self._waiting.get(number)
            if waiting is None or session is None or waiting.session != session:
                return False
        waiting.allowed = allowed
        waiting.answered.set()
        return True


class PageApprover:
    """Asks the page whose session started the chat, through its stream's sink."""

    def __init__(self, approvals: Approvals, session: str, screen: Screen, sink: Sink) -> None:
        self.approvals = approvals
        self.session = session
        self.screen = screen
        self.sink = sink
        self._clock = events.StreamClock()

    def approve(self, tool: Tool, arguments: dict[str, Any], stop: threading.Event) -> str | None:
        number, waiting = self.approvals.ask(self.session)
        try:
            with self.screen.borrowed(stop) as lent:
                if not lent:
                    return None
                question = {
                    "type": "approval",
                    "t": self._clock(),
                    "id": number,
                    "name": tool.name,
                    "arguments": arguments,
                    "what": tool.runner.described(),
                }
                if tool.server is not None:
                    question["server"] = tool.server
                try:
                    self.sink.write([question])  # the pump waits while the display is lent
                except ConnectionError:
                    return None
                while not waiting.answered.wait(POLL):
                    if stop.is_set():
                        return None
        finally:
            self.approvals.forget(number)
        return "" if waiting.allowed else DENIED
