"""Ollama's native API as a fake server speaks it (NDJSON chat, tags, errors)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from servers.http import Reply, Step, paced

PATH = "/api/chat"
TAGS = "/api/tags"
NDJSON = {"content-type": "application/x-ndjson"}


def line(obj: Any) -> bytes:
    return orjson.dumps(obj) + b"\n"


def chunk(content: str = "", *, thinking: str | None = None, model: str = "fake") -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if thinking is not None:
        message["thinking"] = thinking
    return {"model": model, "created_at": "2026-01-01T00:00:00Z", "message": message, "done": False}


def final(
    content: str = "",
    *,
    done_reason: str | None = "stop",
    prompt_eval_count: int | None = 12,
    eval_count: int | None = 7,
) -> dict[str, Any]:
    obj: dict[str, Any] = {**chunk(content), "done": True, "total_duration": 1000000}
    if done_reason:
        obj["done_reason"] = done_reason
    if prompt_eval_count:
        obj["prompt_eval_count"] = prompt_eval_count
    if eval_count:
        obj["eval_count"] = eval_count
    return obj


def stream_body(
    pieces: Iterable[str], *, thinking: Iterable[str] = (), done: bool = True, **final_fields: Any
) -> list[bytes]:
    body = [line(chunk(thinking=piece)) for piece in thinking]
    body += [line(chunk(piece)) for piece in pieces]
    if done:
        body.append(line(final(**final_fields)))
    return body


def stream(pieces: Iterable[str], *, pause: float = 0.0, **options: Any) -> Reply:
    return Reply(200, paced(stream_body(pieces, **options), pause), dict(NDJSON))


def ndjson(body: list[Step], **headers: str) -> Reply:
    return Reply(200, body, {**NDJSON, **headers})


def answer(text: str, **final_fields: Any) -> Reply:
    """The answer to ``stream: false``: one JSON object."""
    return Reply.json(200, final(text, **final_fields))


def tags(names: Iterable[str]) -> Reply:
    return Reply.json(200, {"models": [{"name": n, "model": n, "size": 1} for n in names]})


def error(status: int, message: str, **headers: str) -> Reply:
    return Reply.json(status, {"error": message}, **headers)


def error_line(message: str) -> bytes:
    return line({"error": message})


def tool_calls(calls: Iterable[tuple[str, Any]], *, text: str = "", ids: bool = True) -> Reply:
    """A reply that asks for tools: Ollama sends each call (name, arguments) whole, with
    its arguments as an object, in one line before the final one."""
    obj = chunk(text)
    obj["message"]["tool_calls"] = [
        {
            **({"id": f"call_{position:08x}"} if ids else {}),
            "function": {"index": position, "name": name, "arguments": arguments},
        }
        for position, (name, arguments) in enumerate(calls)
    ]
    return Reply(200, [line(obj), line(final(done_reason="stop"))], dict(NDJSON))
