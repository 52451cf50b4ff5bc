"""streamcli's own events as a server-sent event stream: the `--json` objects, each with
an `id:` and its type as the `event:` name.

    id: 3
    event: text
    data: {"type":"text","t":0.41,"text":"Hello"}

A frame of events is one write; a comment (`: ping`) keeps an idle stream open through
proxies and tells a client that the server is still there.
"""

from __future__ import annotations

from collections.abc import Callable

import orjson

from streamcli.events import Event
from streamcli.serve.bridge import Bridge
from streamcli.serve.openai_api import told
from streamcli.stream import ASAP, Sink

PING = b": ping\n\n"


def sse_event(number: int, kind: str, data: bytes) -> bytes:
    """One SSE event (`kind` cannot break the framing: line breaks become spaces)."""
    name = kind.replace("\r", " ").replace("\n", " ").encode("utf-8", "replace")
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (number, name, data)


class SseSink(Sink):
    """Writes events to a client as SSE through a `Bridge`; `extra` may add events of its
    own after a frame's (the page's rendered Markdown blocks)."""

    frame_interval = ASAP  # a socket: written as soon as the pump is free
    shows_errors = True  # the client sees the `error` event
    label = "the client"

    def __init__(
        self, bridge: Bridge, extra: Callable[[list[Event]], list[Event]] | None = None
    ) -> None:
        self.bridge = bridge
        self._extra = extra
        self._number = 0

    def write(self, events: list[Event]) -> None:
        if self._extra is not None:
            events = events + self._extra(events)
        buffer = bytearray()
        for event in events:
            self._number += 1
            kind = event.get("type")
            if kind == "error" and event.get("kind") == "auth":
                event = {**event, "message": told(event)}
            buffer += sse_event(self._number, kind if isinstance(kind, str) else "", _json(event))
        self.bridge.put(bytes(buffer), len(buffer))

    def close(self) -> None:
        self.bridge.end()


def _json(event: Event) -> bytes:
    return orjson.dumps(event)
