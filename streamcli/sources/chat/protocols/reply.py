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
from streamcli.sources.chat.protocols.sniff import (
    PAGE_TYPES,
    SAMPLE_CHARS,
    BodyStart,
    Malformed,
    NotAStream,
    describe,
    page,
)
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


class PageReply:
    """A page where events were expected: its first bytes are read, then it is refused."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._head = BodyStart()

    def feed(self, chunk: bytes, t: float, out: list[Event]) -> None:
        self._head.add(chunk)
        if len(self._head.text) >= SAMPLE_CHARS:
            raise page(self.kind, self._head.text)

    def close(self, t: float, out: list[Event]) -> None:
        raise page(self.kind, self._head.text)


class _Reader:
    """What every reader of a stream shares: the body's first bytes, kept until the
    decoder recognises one of its messages, and what to say when it never does."""

    def __init__(self, decoder: Decoder, kind: str) -> None:
        self.decoder = decoder
        self._kind = kind
        self._head: BodyStart | None = BodyStart()  # None once a message was recognised
        self._foreign = 0  # items that were not the protocol's

    def _start(self, chunk: bytes) -> None:
        """Keep the start of the body; a page is refused as soon as it shows."""
        head = self._head
        if head is None or self.decoder.recognised:
            self._head = None
            return
        sniffed = bool(head.text)
        head.add(chunk)
        if not sniffed and head.is_page():
            raise page(self._kind, head.text)

    def _item(self, data: Any, event: str) -> None:
        if self._head is not None and self.decoder.recognises(data, event):
            self.decoder.recognised += 1
            self._head = None
        elif self._head is not None:
            self._foreign += 1

    def _not_mine(self) -> NotAStream | None:
        """The body ended: what it was, when nothing in it was the protocol's."""
        head = self._head
        if head is None or self.decoder.recognised or not (self._foreign and head.text):
            return None
        return describe(head.text, self._kind, self.decoder.expected)


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


class SSEReply(_Reader):
    def __init__(self, decoder: Decoder, kind: str = "text/event-stream") -> None:
        super().__init__(decoder, kind)
        self._parser = SSEParser()

    def feed(self, chunk: bytes, t: float, out: list[Event]) -> None:
        if self._head is not None:
            self._start(chunk)  # a page under a stream's (or no) content type is refused
        try:
            items = self._parser.feed(chunk)
        except WireError as exc:
            raise Malformed(str(exc)) from None
        for item in items:
            self._event(item.event, item.data, t, out)

    def close(self, t: float, out: list[Event]) -> None:
        for item in self._parser.close():
            self._event(item.event, item.data, t, out)
        self._foreign += self._parser.unknown  # lines that are no SSE field: not events
        if problem := self._not_mine():
            raise problem

    def _event(self, event: str, data: str, t: float, out: list[Event]) -> None:
        decoder = self.decoder
        if decoder.complete:
            return
        if data[:1] == "{":  # the usual case, first
            try:
                document = _loads(data)
            except orjson.JSONDecodeError:
                document = _json(data, "an event")  # raises with a description
            if self._head is not None:
                self._item(document, event)
            out.extend(decoder.message(document, event, t))
            return
        if data == "[DONE]":
            decoder.done_marker()
            self._foreign += not decoder.recognised
            return
        stripped = data.strip()
        if not stripped or stripped[0] == ":":  # keep-alive sent as data
            return
        if event == "error" and stripped[0] not in "{[":
            raise ServerReported(stripped)
        document = _json(data, "an event")
        self._item(document, event)
        out.extend(decoder.message(document, event, t))


class NDJSONReply(_Reader):
    def __init__(self, decoder: Decoder, kind: str = "application/x-ndjson") -> None:
        super().__init__(decoder, kind)
        self._splitter = NDJSONSplitter()

    def feed(self, chunk: bytes, t: float, out: list[Event]) -> None:
        if self._head is not None:
            self._start(chunk)
        try:
            lines = self._splitter.feed(chunk)
        except WireError as exc:
            raise Malformed(str(exc)) from None
        self._lines(lines, t, out)

    def close(self, t: float, out: list[Event]) -> None:
        self._lines(self._splitter.close(), t, out)
        if problem := self._not_mine():
            raise problem

    def _lines(self, lines: list[bytes], t: float, out: list[Event]) -> None:
        decoder = self.decoder
        for line in lines:
            if decoder.complete:
                return
            if not line.strip():
                continue
            try:
                document = _json(line, "a line")
            except Malformed:
                self._foreign += 1
                if problem := self._not_mine():  # not JSON at all: say what it is
                    raise problem from None
                raise
            if self._head is not None:
                self._item(document, "")
            out.extend(decoder.message(document, "message", t))


class WholeReply(_Reader):
    """A JSON document (not a stream): parsed when it is complete."""

    def __init__(self, decoder: Decoder, kind: str = "application/json") -> None:
        super().__init__(decoder, kind)
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
        self._start(body)
        try:
            document = _loads(body)
        except orjson.JSONDecodeError:
            document = None
        if document is not None or b"\n" not in body:
            if document is None:
                self._foreign += 1
                document = _json(self._not_mine_or(body), "the answer")
            self._item(document, "")
            if problem := self._not_mine():
                raise problem
            try:
                out.extend(self.decoder.whole(document, t))
            except ServerReported as exc:
                exc.whole = isinstance(document, dict) and "error" in document
                raise
            return
        # Several lines under a JSON content type: a mislabelled stream.
        stream = body.startswith((b"data:", b"event:", b":"))
        fallback: SSEReply | NDJSONReply = (SSEReply if stream else NDJSONReply)(self.decoder)
        fallback.feed(body + b"\n\n", t, out)
        fallback.close(t, out)

    def _not_mine_or(self, body: bytes) -> bytes:
        """`body`, unless it is plainly something else (a page, text): then say so."""
        head = self._head.text if self._head is not None else b""
        if head[:1] not in (b"{", b"[") and (problem := self._not_mine()):
            raise problem
        return body


Reply = SSEReply | NDJSONReply | WholeReply | PageReply


def open_reply(content_type: str | None, wire: str, decoder: Decoder) -> Reply:
    """The reader for a body of `content_type` (the provider's `wire` when unclear)."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind == "text/event-stream":
        return SSEReply(decoder)
    if kind in NDJSON_TYPES:
        return NDJSONReply(decoder, kind)
    if kind == "application/json" or kind.endswith("+json"):
        return WholeReply(decoder, kind)
    if kind in PAGE_TYPES:
        return PageReply(kind)
    return SSEReply(decoder, kind) if wire == "sse" else NDJSONReply(decoder, kind)


__all__ = ["MAX_EVENT_BYTES", "Malformed", "NotAStream", "Reply", "open_reply"]
