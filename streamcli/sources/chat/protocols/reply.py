"""Reading one reply body: the framing chosen from the Content-Type, fed to a decoder.

`open_reply` picks SSE, NDJSON or a whole JSON document (a server that ignored
``stream``, or ``--no-stream``). Each reader's `feed` appends the events parsed from one
chunk to `out` (so what came before a failure is kept) and `close` handles the end.
"""

from __future__ import annotations

from typing import Any

import orjson

from streamcli.events import Event
from streamcli.sources.chat.protocols.provider import Decoder, ServerReported
from streamcli.sources.chat.protocols.wire import (
    MAX_EVENT_BYTES,
    NDJSONSplitter,
    SSEParser,
    WireError,
)

_loads = orjson.loads
NDJSON_TYPES = frozenset(
    {"application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines"}
)
MAX_WHOLE_BYTES = 64 * 1024 * 1024


class Malformed(Exception):
    """The reply is not what the protocol says it must be (bad JSON, too large)."""


class NotAStream(Malformed):
    """The reply is a page (HTML, XML), not events: a wrong URL or a proxy's answer."""

    def __init__(self, kind: str, body: bytes) -> None:
        sample = " ".join(body[:SAMPLE_BYTES].decode("utf-8", "replace").split())
        what = kind or "no content type"
        super().__init__(
            f"the answer is {what}, not an event stream (expected an event stream; "
            f"check the base URL): {sample!r}"
        )


SAMPLE_BYTES = 120
# Content types that are pages, never a stream of events or a JSON answer.
PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/xml", "application/xml")


class PageReply:
    """A page where events were expected: its first bytes are read, then it is refused."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._start = b""

    def feed(self, chunk: bytes, t: float, out: list[Event]) -> None:
        self._start += chunk[: SAMPLE_BYTES - len(self._start)]
        if len(self._start) >= SAMPLE_BYTES:
            raise NotAStream(self.kind, self._start)

    def close(self, t: float, out: list[Event]) -> None:
        raise NotAStream(self.kind, self._start)


def _looks_like_a_page(first: bytes) -> bool:
    """A body that begins like HTML or XML (`<!doctype`, `<html`, `<?xml`)."""
    return first.lstrip()[:1] == b"<"


def _json(data: str | bytes, what: str) -> Any:
    try:
        return _loads(data)
    except orjson.JSONDecodeError as exc:
        if isinstance(data, bytes):  # invalid UTF-8 inside otherwise valid JSON
            try:
                return _loads(data.decode("utf-8", "replace"))
            except orjson.JSONDecodeError:
                pass
        sample = data[:80].decode("utf-8", "replace") if isinstance(data, bytes) else data[:80]
        raise Malformed(f"{what} is not valid JSON ({exc}): {sample!r}") from None


class SSEReply:
    def __init__(self, decoder: Decoder, kind: str = "text/event-stream") -> None:
        self.decoder = decoder
        self._parser = SSEParser()
        self._kind = kind
        self._started = False

    def feed(self, chunk: bytes, t: float, out: list[Event]) -> None:
        if not self._started and chunk.strip():
            self._started = True
            if _looks_like_a_page(chunk):  # a page under a stream's (or no) content type
                raise NotAStream(self._kind, chunk)
        try:
            items = self._parser.feed(chunk)
        except WireError as exc:
            raise Malformed(str(exc)) from None
        for item in items:
            self._event(item.event, item.data, t, out)

    def close(self, t: float, out: list[Event]) -> None:
        for item in self._parser.close():
            self._event(item.event, item.data, t, out)

    def _event(self, event: str, data: str, t: float, out: list[Event]) -> None:
        decoder = self.decoder
        if decoder.complete:
            return
        if data[:1] == "{":  # the usual case, first
            try:
                document = _loads(data)
            except orjson.JSONDecodeError:
                document = _json(data, "an event")  # raises with a description
            out.extend(decoder.message(document, event, t))
            return
        if data == "[DONE]":
            decoder.done_marker()
            return
        stripped = data.strip()
        if not stripped or stripped[0] == ":":  # keep-alive sent as data
            return
        if event == "error" and stripped[0] not in "{[":
            raise ServerReported(stripped)
        out.extend(decoder.message(_json(data, "an event"), event, t))


class NDJSONReply:
    def __init__(self, decoder: Decoder) -> None:
        self.decoder = decoder
        self._splitter = NDJSONSplitter()

    def feed(self, chunk: bytes, t: float, out: list[Event]) -> None:
        try:
            lines = self._splitter.feed(chunk)
        except WireError as exc:
            raise Malformed(str(exc)) from None
        self._lines(lines, t, out)

    def close(self, t: float, out: list[Event]) -> None:
        self._lines(self._splitter.close(), t, out)

    def _lines(self, lines: list[bytes], t: float, out: list[Event]) -> None:
        decoder = self.decoder
        for line in lines:
            if decoder.complete:
                return
            if not line.strip():
                continue
            out.extend(decoder.message(_json(line, "a line"), "message", t))


class WholeReply:
    """A JSON document (not a stream): parsed when it is complete."""

    def __init__(self, decoder: Decoder) -> None:
        self.decoder = decoder
        self._parts: list[bytes] = []
        self._size = 0

    def feed(self, chunk: bytes, t: float, out: list[Event]) -> None:
        self._parts.append(chunk)
        self._size += len(chunk)
        if self._size > MAX_WHOLE_BYTES:
            raise Malformed(f"an answer larger than {MAX_WHOLE_BYTES // (1024 * 1024)} MiB")

    def close(self, t: float, out: list[Event]) -> None:
        body = b"".join(self._parts).strip()
        if not body:
            raise Malformed("an empty answer")
        try:
            document = _loads(body)
        except orjson.JSONDecodeError:
            document = None
        if document is not None or b"\n" not in body:
            document = document if document is not None else _json(body, "the answer")
            out.extend(self.decoder.whole(document, t))
            return
        # Several lines under a JSON content type: a mislabelled stream.
        stream = body.startswith((b"data:", b"event:", b":"))
        fallback: SSEReply | NDJSONReply = (SSEReply if stream else NDJSONReply)(self.decoder)
        fallback.feed(body + b"\n\n", t, out)
        fallback.close(t, out)


Reply = SSEReply | NDJSONReply | WholeReply | PageReply


def open_reply(content_type: str | None, wire: str, decoder: Decoder) -> Reply:
    """The reader for a body of `content_type` (the provider's `wire` when unclear)."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind == "text/event-stream":
        return SSEReply(decoder)
    if kind in NDJSON_TYPES:
        return NDJSONReply(decoder)
    if kind == "application/json" or kind.endswith("+json"):
        return WholeReply(decoder)
    if kind in PAGE_TYPES:
        return PageReply(kind)
    return SSEReply(decoder, kind) if wire == "sse" else NDJSONReply(decoder)


__all__ = ["MAX_EVENT_BYTES", "Malformed", "NotAStream", "Reply", "open_reply"]
