"""What a 200 reply's body is when it is not the protocol's stream: named, never guessed at.

A reader keeps the first bytes of the body (`BodyStart`) until its decoder recognises an event.
If none ever is, `describe` says what arrived instead (a page, a JSON error object, another
API's stream, text), and `NotAStream` carries that to the one error line. No retries: the
same address would answer the same way.
"""

from __future__ import annotations

import orjson

from streamcli.sources.chat.protocols.provider import server_message

BOM = b"\xef\xbb\xbf"
HEAD_BYTES = 4096  # kept to describe the body: enough for an error object
SAMPLE_CHARS = 120
# Content types that are pages, never a stream of events or a JSON answer.
PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/xml", "application/xml")


class Malformed(Exception):
    """The reply is not what the protocol says it must be (bad JSON, too large)."""


class NotAStream(Malformed):
    """The reply is not the protocol's stream: `str()` says what it is instead, as the
    rest of "URL answered HTTP 200 …"."""

    def __init__(self, what: str) -> None:
        super().__init__(what)


def page(kind: str, body: bytes) -> NotAStream:
    """A page (HTML, XML) where events were expected: a wrong URL or a proxy's answer."""
    what = kind or "no content type"
    return NotAStream(
        f"but the answer is {what}, not an event stream (expected an event stream; "
        f"check the base URL): {sample(body)!r}"
    )


def sample(body: bytes) -> str:
    """The start of `body` as one short line."""
    text = " ".join(body[: SAMPLE_CHARS * 4].decode("utf-8", "replace").split())
    return text if len(text) <= SAMPLE_CHARS else text[: SAMPLE_CHARS - 1] + "…"


class BodyStart:
    """The first bytes of a body, a BOM and leading whitespace set aside."""

    def __init__(self) -> None:
        self._raw = b""

    def add(self, chunk: bytes) -> None:
        if len(self._raw) < HEAD_BYTES:
            self._raw += chunk[: HEAD_BYTES - len(self._raw)]

    @property
    def text(self) -> bytes:
        """The body's start without a BOM and leading whitespace (b"" while only those
        arrived, or part of a BOM)."""
        raw = self._raw
        if BOM.startswith(raw[:3]) and len(raw) < 3:
            return b""
        return raw.removeprefix(BOM).lstrip()

    def is_page(self) -> bool:
        """The body begins like HTML or XML (`<!doctype`, `<html`, `<?xml`)."""
        return self.text[:1] == b"<"


def describe(head: bytes, kind: str, expected: str) -> NotAStream:
    """What the body starting with `head` (of content type `kind`) is, instead of the
    `expected` stream (e.g. "Ollama's NDJSON stream")."""
    if head[:1] == b"<":
        return page(kind, head)
    shown = sample(head)
    if head[:1] in (b"{", b"["):
        document = _first_json(head)
        if isinstance(document, dict) and "error" in document:
            return NotAStream(f"with a JSON error object, not {expected}: {_error(document)}")
        if document is not None and b"\n" not in head.strip():
            word = "object" if isinstance(document, dict) else "document"
            return NotAStream(f"with a JSON {word}, not {expected}: {shown!r}")
        style = _style(head, ndjson=True)
        if style:
            return NotAStream(f"with {style}, not {expected}")
        return NotAStream(f"with JSON lines that are not {expected}: {shown!r}")
    if head.startswith((b"data:", b"event:", b"id:", b":")):
        style = _style(head, ndjson=False)
        if style:
            return NotAStream(f"with {style}, not {expected}")
        return NotAStream(f"with server-sent events that are not {expected}: {shown!r}")
    return NotAStream(f"with text that is not {expected}: {shown!r}")


def _first_json(head: bytes) -> object:
    for candidate in (head.strip(), head.split(b"\n", 1)[0]):
        try:
            return orjson.loads(candidate)
        except orjson.JSONDecodeError:
            continue
    return None


def _error(document: dict[str, object]) -> str:
    return " ".join((server_message(document) or "no message").split())[:300]


def _style(head: bytes, *, ndjson: bool) -> str | None:
    """Which API's stream `head` looks like, by the words only that API sends."""
    if b'"choices"' in head or b"[DONE]" in head or b"chat.completion" in head:
        return "an OpenAI-style SSE stream" if not ndjson else "OpenAI-style JSON lines"
    if b"message_start" in head or b"content_block_" in head:
        return "an Anthropic-style SSE stream"
    if b'"done"' in head and (b'"message"' in head or b'"response"' in head):
        return "an Ollama-style NDJSON stream" if ndjson else "Ollama-style events"
    return None
