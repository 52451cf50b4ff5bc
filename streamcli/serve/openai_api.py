"""The OpenAI-compatible endpoint: `POST /v1/chat/completions` in front of any provider.

A request's messages become a chat answer (the system message, the earlier turns, the
last user message as the prompt); its events become OpenAI's shapes: `chat.completion`
for `stream: false`, `chat.completion.chunk` server-sent events for `stream: true` (text
deltas, `reasoning_content`, the `finish_reason`, the usage chunk when
`stream_options.include_usage` asks for it, `data: [DONE]`). A failure before the answer
starts is an error response with a fitting status, never a 200; one after it is an
`error` event in the stream, as OpenAI's own API sends it, and the stream ends there: no
`finish_reason`, no `[DONE]`, so a client that reads only the choices cannot take a cut
answer for a whole one. An answer the server cut (it was stopped) ends the same way.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from streamcli.events import Event
from streamcli.options import MAX_SEED, MAX_TOKENS
from streamcli.serve.bridge import Bridge
from streamcli.stream import ASAP, Sink
from streamcli.transcript import Message

DONE = b"data: [DONE]\n\n"
FINISH = {"stop": "stop", "length": "length", "tool_calls": "tool_calls"}
CUT = {"kind": "interrupted", "message": "the server stopped; the answer is incomplete"}
CONTENT = frozenset({"text", "reasoning", "end"})  # events that mean the answer started


class BadRequest(ValueError):
    """The request is not one this endpoint can answer (HTTP 400)."""


@dataclass
class Asked:
    """What a `/v1/chat/completions` request asks."""

    prompt: str
    earlier: list[Message]
    system: str | None
    model: str | None
    stream: bool
    include_usage: bool
    temperature: float | None = None
    max_tokens: int | None = None
    seed: int | None = None

    @classmethod
    def parse(cls, body: Any) -> Asked:
        """The request's JSON body, checked (raises `BadRequest` saying what is wrong)."""
        if not isinstance(body, dict):
            raise BadRequest("the body must be a JSON object")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise BadRequest("messages: a non-empty list is required")
        system, turns = None, []
        for number, message in enumerate(messages):
            if not isinstance(message, dict):
                raise BadRequest(f"messages[{number}]: must be an object")
            role, text = message.get("role"), _text(message.get("content"), number)
            if role in ("system", "developer"):
                system = text if system is None else f"{system}\n\n{text}"
            elif role in ("user", "assistant"):
                turns.append({"role": role, "content": text})
            elif role != "tool":
                raise BadRequest(f"messages[{number}].role: unknown role {role!r}")
        if not turns or turns[-1]["role"] != "user":
            raise BadRequest("messages: the last message must be the user's")
        if not turns[-1]["content"].strip():
            raise BadRequest("messages: the last user message has no text")
        if _optional(body, "n", int) not in (None, 1):
            raise BadRequest("n: one answer at a time (1)")
        options = body.get("stream_options")
        return cls(
            prompt=turns[-1]["content"],
            earlier=turns[:-1],
            system=system,
            model=_optional(body, "model", str),
            stream=bool(_optional(body, "stream", bool)),
            include_usage=isinstance(options, dict) and bool(options.get("include_usage")),
            temperature=_ranged(body, "temperature", (int, float), 0, 100),
            max_tokens=_ranged(body, "max_completion_tokens", int, 1, MAX_TOKENS)
            or _ranged(body, "max_tokens", int, 1, MAX_TOKENS),
            seed=_ranged(body, "seed", int, 0, MAX_SEED),
        )


def _text(content: Any, number: int) -> str:
    """A message's content: a string, or the text of its parts."""
    if isinstance(content, str):
        return content
    if content is None:
        return ""
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        if all(isinstance(part, str) for part in parts):
            return "".join(parts)  # type: ignore[arg-type]
    raise BadRequest(f"messages[{number}].content: text only (a string or text parts)")


def _optional(body: dict[str, Any], key: str, types: Any) -> Any:
    """`body[key]` if it is of `types` (a bool only where asked for), None if absent."""
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) != (types is bool) or not isinstance(value, types):
        raise BadRequest(f"{key}: wrong type")
    return value


def _ranged(body: dict[str, Any], key: str, types: Any, low: float, high: float) -> Any:
    """`_optional`, within the range `chat`'s flag of the same name allows."""
    value = _optional(body, key, types)
    if value is not None and not low <= value <= high:
        raise BadRequest(f"{key}: {value} is not from {low} to {high}")
    return value


def error_body(message: str, kind: str, code: str | None = None) -> bytes:
    """An error in OpenAI's shape."""
    return orjson.dumps({"error": {"message": message, "type": kind, "code": code}})


def told(error: Event) -> str:
    """An `error` event's message as a client of the server is told it: a key the
    upstream refused is not described (the message names the key's end, and the upstream
    may quote more of it)."""
    if error.get("kind") == "auth":
        return f"the upstream refused the API key this server uses (HTTP {error.get('status')})"
    return str(error.get("message", "the answer failed"))


def failure(event: Event) -> tuple[int, bytes]:
    """The status and body of a response for a stream that failed before it started."""
    kind = str(event.get("kind", "error"))
    message = told(event)
    upstream = event.get("status")
    if kind in ("bad_input", "no_model", "usage"):
        return 400, error_body(message, "invalid_request_error", kind)
    if kind == "not_found":
        return 404, error_body(message, "invalid_request_error", "model_not_found")
    if upstream == 429 or kind == "rate_limited":
        return 429, error_body(message, "rate_limit_error", kind)
    if kind in ("timeout", "connect_timeout", "stalled"):
        return 504, error_body(message, "upstream_error", kind)
    if kind in ("internal", "local", "bundled_model", "not_installed"):
        return 500, error_body(message, "server_error", kind)
    if kind == "interrupted":
        return 503, error_body(message, "server_error", kind)
    return 502, error_body(message, "upstream_error", kind)


@dataclass
class Head:
    """How the response starts: 200 and a stream, or an error response."""

    status: int
    body: bytes = b""


@dataclass
class _Completion:
    """The chunks' common fields."""

    model: str
    id: str = field(default_factory=lambda: "chatcmpl-" + secrets.token_hex(12))
    created: int = field(default_factory=lambda: int(time.time()))

    def chunk(self, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }


def usage(end: Event) -> dict[str, int]:
    counts = end.get("usage")
    if not isinstance(counts, dict):
        counts = {}
    prompt, completion = counts.get("input_tokens", 0), counts.get("output_tokens", 0)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


class ChunkSink(Sink):
    """`stream: true`: the answer as `chat.completion.chunk` events through a `Bridge`;
    first a `Head` saying how the response starts."""

    frame_interval = ASAP
    shows_errors = True
    label = "the client"

    def __init__(self, bridge: Bridge, model: str, include_usage: bool) -> None:
        self.bridge = bridge
        self.completion = _Completion(model)
        self.include_usage = include_usage
        self._started = False  # the Head went out
        self._role_sent = False
        self._ended = False  # nothing more may be sent (an error, the end)

    def write(self, events: list[Event]) -> None:
        out = bytearray()
        for event in events:
            if self._ended:
                break
            kind = event.get("type")
            if kind == "start" and isinstance(event.get("model"), str):
                self.completion.model = event["model"]
            elif kind == "error" or (kind == "end" and event.get("reason") == "interrupted"):
                out += self._failed(event if kind == "error" else CUT)
            elif kind in CONTENT:
                if not self._started:
                    self._put_head(Head(200))
                out += self._content(event)
        if out:
            self.bridge.put(bytes(out), len(out))

    def _failed(self, event: Event) -> bytes:
        """An error response before the answer started; after, the error event that ends
        the stream."""
        self._ended = True
        status, body = failure(event)
        if not self._started:
            self._put_head(Head(status, body))
            return b""
        return b"data: " + body + b"\n\n"

    def _put_head(self, head: Head) -> None:
        self._started = True
        self.bridge.put(head, len(head.body))

    def _content(self, event: Event) -> bytes:
        kind = event["type"]
        delta: dict[str, Any] = {}
        if not self._role_sent:
            delta["role"] = "assistant"
            self._role_sent = True
        if kind == "text":
            delta["content"] = event["text"]
        elif kind == "reasoning":
            delta["reasoning_content"] = event["text"]
        else:  # end
            self._ended = True
            reason = FINISH.get(str(event.get("reason")), "stop")
            data = _sse(self.completion.chunk(delta, reason))
            if self.include_usage:
                tail = self.completion.chunk({})
                tail["choices"] = []
                tail["usage"] = usage(event)
                data += _sse(tail)
            return data + DONE
        return _sse(self.completion.chunk(delta))

    def close(self) -> None:
        if not self._started:  # ended with nothing to say (interrupted before the start)
            self._put_head(Head(200))
        self.bridge.end()


class CompletionSink(Sink):
    """`stream: false`: the whole answer kept for one `chat.completion` (or an error)."""

    frame_interval = ASAP
    label = "the client"

    def __init__(self, model: str) -> None:
        self.completion = _Completion(model)
        self.text: list[str] = []
        self.reasoning: list[str] = []
        self.end: Event | None = None
        self.error: Event | None = None

    def write(self, events: list[Event]) -> None:
        for event in events:
            kind = event.get("type")
            if kind == "start" and isinstance(event.get("model"), str):
                self.completion.model = event["model"]
            elif kind == "text":
                self.text.append(event["text"])
            elif kind == "reasoning":
                self.reasoning.append(event["text"])
            elif kind == "error" and self.error is None:
                self.error = event
            elif kind == "end":
                self.end = event

    def response(self) -> tuple[int, bytes]:
        """The status and the JSON body."""
        if self.error is not None:
            return failure(self.error)
        end = self.end
        if end is None or end.get("reason") == "interrupted":
            return failure(CUT)
        message: dict[str, Any] = {"role": "assistant", "content": "".join(self.text)}
        if self.reasoning:
            message["reasoning_content"] = "".join(self.reasoning)
        completion = self.completion
        body = {
            "id": completion.id,
            "object": "chat.completion",
            "created": completion.created,
            "model": completion.model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": FINISH.get(str(end.get("reason")), "stop"),
                }
            ],
            "usage": usage(end),
        }
        return 200, orjson.dumps(body)


def _sse(data: dict[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(data) + b"\n\n"
