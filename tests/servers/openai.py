"""OpenAI chat completions as a fake server speaks them (SSE chunks, JSON answers, errors)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from servers.http import Reply, Step, paced

PATH = "/v1/chat/completions"
SSE = {"content-type": "text/event-stream", "cache-control": "no-cache"}


def event(payload: Any, name: str | None = None) -> bytes:
    """One SSE event: `payload` (JSON, or a string sent as is) and a blank line."""
    data = payload if isinstance(payload, str) else orjson.dumps(payload).decode()
    head = f"event: {name}\n" if name else ""
    return (head + "".join(f"data: {line}\n" for line in data.split("\n")) + "\n").encode()


def chunk(
    content: str | None = None,
    *,
    reasoning: str | None = None,
    reasoning_field: str = "reasoning_content",
    role: str | None = None,
    finish: str | None = None,
    tool_calls: list[dict[str, Any]] | None = None,
    model: str = "fake-model",
) -> dict[str, Any]:
    delta: dict[str, Any] = {}
    if role:
        delta["role"] = role
    if content is not None:
        delta["content"] = content
    if reasoning is not None:
        delta[reasoning_field] = reasoning
    if tool_calls is not None:
        delta["tool_calls"] = tool_calls
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
        "usage": None,
    }


def usage_chunk(prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "fake-model",
        "choices": [],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def stream_body(
    pieces: Iterable[str],
    *,
    finish: str | None = "stop",
    usage: tuple[int, int] | None = (12, 7),
    done: bool = True,
    reasoning: Iterable[str] = (),
) -> list[bytes]:
    """The events of a streamed answer: role, reasoning, text pieces, finish, usage, [DONE]."""
    body = [event(chunk("", role="assistant"))]
    body += [event(chunk(reasoning=piece)) for piece in reasoning]
    body += [event(chunk(piece)) for piece in pieces]
    if finish:
        body.append(event(chunk(finish=finish)))
    if usage:
        body.append(event(usage_chunk(*usage)))
    if done:
        body.append(b"data: [DONE]\n\n")
    return body


def stream(pieces: Iterable[str], *, pause: float = 0.0, **options: Any) -> Reply:
    return Reply(200, paced(stream_body(pieces, **options), pause), dict(SSE))


def sse(body: list[Step], **headers: str) -> Reply:
    """A reply whose body is given step by step (for quirks and faults)."""
    return Reply(200, body, {**SSE, **headers})


def completion(
    text: str, *, usage: tuple[int, int] = (12, 7), finish: str = "stop", reasoning: str = ""
) -> Reply:
    """The answer to a request with ``stream: false`` (or from a server that ignores it)."""
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if reasoning:
        message["reasoning_content"] = reasoning
    return Reply.json(
        200,
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": "fake-model",
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1]},
        },
    )


def error(
    status: int, message: str, *, type: str = "invalid_request_error", **headers: str
) -> Reply:
    return Reply.json(
        status,
        {"error": {"message": message, "type": type, "param": None, "code": None}},
        **headers,
    )


def error_event(message: str, code: int = 500) -> bytes:
    """vLLM's mid-stream error: a data event with an `error` object."""
    return event(
        {"error": {"object": "error", "message": message, "type": "server_error", "code": code}}
    )


def models(names: Iterable[str]) -> Reply:
    return Reply.json(
        200, {"object": "list", "data": [{"id": n, "object": "model"} for n in names]}
    )


def tool_calls_body(
    calls: Iterable[tuple[str, str, Any]],
    *,
    text: str = "",
    fragment: int = 4,
    index: bool = True,
    usage: tuple[int, int] = (20, 10),
) -> list[bytes]:
    """A reply that asks for tools: each call (id, name, arguments) begins with its id and
    name, then its JSON arguments arrive in pieces of `fragment` characters (`index`
    False: without the `index` field, as some servers send them)."""
    body = [event(chunk("", role="assistant"))]
    if text:
        body.append(event(chunk(text)))
    for position, (call_id, name, arguments) in enumerate(calls):
        raw = arguments if isinstance(arguments, str) else orjson.dumps(arguments).decode()
        at = {"index": position} if index else {}
        head = {
            **at,
            "id": call_id,
            "type": "function",
            "function": {"name": name, "arguments": ""},
        }
        body.append(event(chunk(tool_calls=[head])))
        for start in range(0, len(raw), fragment):
            piece = {**at, "function": {"arguments": raw[start : start + fragment]}}
            body.append(event(chunk(tool_calls=[piece])))
    body.append(event(chunk(finish="tool_calls")))
    body.append(event(usage_chunk(*usage)))
    body.append(b"data: [DONE]\n\n")
    return body


def tool_calls(calls: Iterable[tuple[str, str, Any]], **options: Any) -> Reply:
    return Reply(200, tool_calls_body(calls, **options), dict(SSE))
