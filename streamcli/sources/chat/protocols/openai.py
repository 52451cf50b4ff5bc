"""OpenAI-compatible chat completions (OpenAI, vLLM, llama.cpp, LM Studio, Ollama's /v1…).

``POST {base}/chat/completions`` with ``stream: true`` answers with SSE: one
``chat.completion.chunk`` per event, a usage-only chunk with empty ``choices`` (asked for
with ``stream_options.include_usage``), then ``data: [DONE]``. ``reasoning_content``
(DeepSeek) and ``reasoning`` (vLLM, Ollama, OpenRouter) deltas become `reasoning` events.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import orjson

from streamcli.events import Event
from streamcli.sources.chat.protocols.provider import (
    Call,
    Decoder,
    Provider,
    ServerReported,
    server_message,
)
from streamcli.sources.chat.protocols.sniff import Malformed
from streamcli.sources.chat.request import ChatRequest, tool_result_text
from streamcli.transcript import Message

REASONS = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "stop",
}


class OpenAIDecoder(Decoder):
    """The events of an OpenAI-compatible chat completion stream as chat events."""

    expected = "an OpenAI-compatible event stream"

    def recognises(self, data: Any, event: str) -> bool:
        if event == "error":
            return True
        if not isinstance(data, dict):
            return False
        kind = data.get("object")
        return (
            "choices" in data
            or "error" in data
            or (isinstance(kind, str) and kind.startswith("chat.completion"))
        )

    def done_marker(self) -> None:
        self.recognised += 1
        self.finished = self.complete = True

    def message(self, data: Any, event: str, t: float) -> list[Event]:
        if event == "error" or (isinstance(data, dict) and data.get("error")):
            raise _reported(data)
        out: list[Event] = []
        if not isinstance(data, dict):
            return out
        choices = data.get("choices")
        if choices:
            choice = choices[0]
            if isinstance(choice, dict):
                delta = choice.get("delta")
                if isinstance(delta, dict):
                    self._delta(out, t, delta)
                if choice.get("finish_reason"):
                    self._finish(choice["finish_reason"], REASONS)
        usage = data.get("usage")
        if isinstance(usage, dict):
            self._usage(usage.get("prompt_tokens"), usage.get("completion_tokens"))
        return out

    def _delta(self, out: list[Event], t: float, delta: dict[str, Any]) -> None:
        reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        if reasoning:
            self._reasoning(out, t, reasoning)
        content = delta.get("content")
        if content:
            self._text(out, t, content)
        refusal = delta.get("refusal")
        if refusal:
            self._text(out, t, refusal)
        tool_calls = delta.get("tool_calls")
        if tool_calls and isinstance(tool_calls, list):
            for piece in tool_calls:
                if isinstance(piece, dict):
                    function = piece.get("function") or {}
                    index = piece.get("index")
                    self.tool_calls.piece(
                        index if type(index) is int else None,
                        _text_part(piece, "id"),
                        _text_part(function, "name"),
                        _text_part(function, "arguments"),
                    )
                    self.outputs += 1

    def whole(self, data: Any, t: float) -> list[Event]:
        if isinstance(data, dict) and data.get("error"):
            raise _reported(data)
        out: list[Event] = []
        choices = data.get("choices") if isinstance(data, dict) else None
        if not choices or not isinstance(choices[0], dict):
            raise ServerReported("the answer has no choices", kind="protocol")
        choice = choices[0]
        message = choice.get("message") or {}
        if isinstance(message, dict):
            self._delta(out, t, message)
        self._finish(choice.get("finish_reason"), REASONS)
        usage = data.get("usage")
        if isinstance(usage, dict):
            self._usage(usage.get("prompt_tokens"), usage.get("completion_tokens"))
        self.complete = True
        return out


def _reported(data: Any) -> ServerReported:
    message = server_message(data) or "unknown error"
    error = data.get("error") if isinstance(data, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    retryable = isinstance(code, int) and (code == 429 or code >= 500)
    return ServerReported(message, retryable=retryable)


def wire_messages(messages: list[Message]) -> list[Message]:
    """Messages in OpenAI's shape: tool calls with JSON-text arguments, `tool` results."""
    out: list[Message] = []
    for message in messages:
        if message.get("role") == "tool":
            out.append(
                {
                    "role": "tool",
                    "tool_call_id": message["tool_call_id"],
                    "content": tool_result_text(message),
                }
            )
        elif message.get("tool_calls"):
            calls = [
                {
                    "id": call["id"],
                    "type": "function",
                    "function": {
                        "name": call["name"],
                        "arguments": orjson.dumps(call["arguments"]).decode(),
                    },
                }
                for call in message["tool_calls"]
            ]
            out.append(
                {
                    "role": "assistant",
                    "content": message.get("content") or None,
                    "tool_calls": calls,
                }
            )
        else:
            out.append(message)
    return out


def function_tools(tools: tuple[dict[str, Any], ...]) -> list[dict[str, Any]]:
    """Tools as OpenAI (and Ollama) describe them: functions with a JSON Schema."""
    return [{"type": "function", "function": dict(tool)} for tool in tools]


class OpenAI(Provider):
    """The OpenAI chat completions API, and the servers compatible with it."""

    name = "openai"
    label = "OpenAI-compatible server"
    wire = "sse"
    key_env = "OPENAI_API_KEY"
    base_env = "OPENAI_BASE_URL"
    default_base = "https://api.openai.com/v1"
    guessed_from = ("OPENAI_API_KEY", "OPENAI_BASE_URL")
    connect_hint = "is the server running? Check --base-url or OPENAI_BASE_URL"

    @property
    def official(self) -> bool:
        return urlsplit(self.base_url).hostname == "api.openai.com"

    @property
    def key_required(self) -> bool:
        return self.official

    def headers(self, accept: str) -> dict[str, str]:
        headers = {"accept": accept}
        if self.key:
            headers["authorization"] = f"Bearer {self.key}"
        return headers

    def chat_call(self, request: ChatRequest) -> Call:
        body: dict[str, Any] = {
            "model": request.model,
            "messages": wire_messages(request.wire_messages()),
            "stream": request.stream,
        }
        if request.tools:
            body["tools"] = function_tools(request.tools)
        if request.stream:
            body["stream_options"] = {"include_usage": True}
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if request.max_tokens is not None:
            # OpenAI's newer models refuse `max_tokens`; other servers know only it.
            body["max_completion_tokens" if self.official else "max_tokens"] = request.max_tokens
        if request.seed is not None:
            body["seed"] = request.seed
        accept = "text/event-stream" if request.stream else "application/json"
        return Call("POST", f"{self.base_url}/chat/completions", self.headers(accept), body)

    def models_call(self) -> Call:
        return Call("GET", f"{self.base_url}/models", self.headers("application/json"))

    def decoder(self) -> Decoder:
        return OpenAIDecoder()


PROVIDER = OpenAI


def _text_part(part: Any, key: str) -> str | None:
    """A tool call's `key` (id, name, arguments): text or absent, else `Malformed`."""
    value = part.get(key) if isinstance(part, dict) else None
    if value is None or isinstance(value, str):
        return value
    shown = orjson.dumps(value, default=str).decode()
    shown = shown if len(shown) <= 40 else shown[:39] + "…"
    raise Malformed(f"a tool call's {key} is {shown}, not text")
