"""Anthropic's Messages API as a fake server speaks it (SSE events, JSON answers, errors)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from servers.http import Reply, Step, paced

PATH = "/v1/messages"
MODELS = "/v1/models"
SSE = {"content-type": "text/event-stream", "cache-control": "no-cache"}


def event(type: str, **fields: Any) -> bytes:
    data = orjson.dumps({"type": type, **fields}).decode()
    return f"event: {type}\ndata: {data}\n\n".encode()


def text_delta(text: str, index: int = 0) -> bytes:
    return event("content_block_delta", index=index, delta={"type": "text_delta", "text": text})


def stream_body(
    pieces: Iterable[str],
    *,
    thinking: Iterable[str] = (),
    stop_reason: str | None = "end_turn",
    input_tokens: int = 12,
    output_tokens: int = 7,
    stop: bool = True,
    ping: bool = True,
) -> list[bytes]:
    message = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "content": [],
        "model": "claude-fake",
        "stop_reason": None,
        "usage": {"input_tokens": input_tokens, "output_tokens": 1},
    }
    body = [event("message_start", message=message)]
    if ping:
        body.append(event("ping"))
    index = 0
    thinking = list(thinking)
    if thinking:
        body.append(
            event(
                "content_block_start", index=0, content_block={"type": "thinking", "thinking": ""}
            )
        )
        body += [
            event("content_block_delta", index=0, delta={"type": "thinking_delta", "thinking": t})
            for t in thinking
        ]
        body.append(event("content_block_stop", index=0))
        index = 1
    body.append(
        event("content_block_start", index=index, content_block={"type": "text", "text": ""})
    )
    body += [text_delta(piece, index) for piece in pieces]
    body.append(event("content_block_stop", index=index))
    if stop_reason:
        body.append(
            event(
                "message_delta",
                delta={"stop_reason": stop_reason, "stop_sequence": None},
                usage={"output_tokens": output_tokens},
            )
        )
    if stop:
        body.append(event("message_stop"))
    return body


def stream(pieces: Iterable[str], *, pause: float = 0.0, **options: Any) -> Reply:
    return Reply(200, paced(stream_body(pieces, **options), pause), dict(SSE))


def sse(body: list[Step], **headers: str) -> Reply:
    return Reply(200, body, {**SSE, **headers})


def message(text: str, *, stop_reason: str = "end_turn", usage: tuple[int, int] = (12, 7)) -> Reply:
    return Reply.json(
        200,
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-fake",
            "content": [{"type": "text", "text": text}],
            "stop_reason": stop_reason,
            "usage": {"input_tokens": usage[0], "output_tokens": usage[1]},
        },
    )


def error(status: int, type: str, message: str, **headers: str) -> Reply:
    return Reply.json(
        status, {"type": "error", "error": {"type": type, "message": message}}, **headers
    )


def error_event(type: str, message: str) -> bytes:
    return event("error", error={"type": type, "message": message})


def models(names: Iterable[str]) -> Reply:
    return Reply.json(
        200,
        {"data": [{"id": n, "type": "model", "display_name": n} for n in names], "has_more": False},
    )


def tool_use_body(
    calls: Iterable[tuple[str, str, Any]], *, text: str = "", fragment: int = 4
) -> list[bytes]:
    """A reply that asks for tools: a text block (when `text`), then a `tool_use` block per
    call (id, name, arguments) whose input arrives as `input_json_delta` pieces."""
    body = stream_body([], stop_reason=None, stop=False)[:2]  # message_start, ping
    index = 0
    if text:
        body.append(
            event("content_block_start", index=0, content_block={"type": "text", "text": ""})
        )
        body.append(text_delta(text, 0))
        body.append(event("content_block_stop", index=0))
        index = 1
    for call_id, name, arguments in calls:
        block = {"type": "tool_use", "id": call_id, "name": name, "input": {}}
        body.append(event("content_block_start", index=index, content_block=block))
        raw = arguments if isinstance(arguments, str) else orjson.dumps(arguments).decode()
        body.append(
            event(
                "content_block_delta",
                index=index,
                delta={"type": "input_json_delta", "partial_json": ""},
            )
        )
        for start in range(0, len(raw), fragment):
            delta = {"type": "input_json_delta", "partial_json": raw[start : start + fragment]}
            body.append(event("content_block_delta", index=index, delta=delta))
        body.append(event("content_block_stop", index=index))
        index += 1
    body.append(
        event("message_delta", delta={"stop_reason": "tool_use"}, usage={"output_tokens": 10})
    )
    body.append(event("message_stop"))
    return body


def tool_use(calls: Iterable[tuple[str, str, Any]], **options: Any) -> Reply:
    return Reply(200, tool_use_body(calls, **options), dict(SSE))
