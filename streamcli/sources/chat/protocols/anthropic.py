"""Anthropic's Messages API: ``POST {base}/v1/messages`` with ``stream: true`` (SSE).

Events: ``message_start`` (input tokens), then per content block ``content_block_start``,
``content_block_delta`` (``text_delta``, ``thinking_delta``, ``input_json_delta``…) and
``content_block_stop``, then ``message_delta`` (stop reason, cumulative usage) and
``message_stop``. ``ping`` and unknown event types are ignored; ``error`` ends the reply.
"""

from __future__ import annotations

from typing import Any

from streamcli.events import Event
from streamcli.sources.chat.protocols.provider import (
    Call,
    Decoder,
    Provider,
    ServerReported,
    server_message,
)
from streamcli.sources.chat.request import ChatRequest
from streamcli.transcript import Message

API_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 8192
REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "pause_turn": "stop",
    "refusal": "stop",
}
RETRYABLE_ERRORS = frozenset({"overloaded_error", "api_error", "rate_limit_error"})
EVENTS = frozenset(
    {
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
        "ping",
        "error",
    }
)


class AnthropicDecoder(Decoder):
    """The events of an Anthropic Messages stream as chat events."""

    expected = "Anthropic's event stream"

    def recognises(self, data: Any, event: str) -> bool:
        if not isinstance(data, dict):
            return False
        kind = data.get("type") or event
        whole = not event and kind == "message"  # a whole answer (`event` "")
        return kind in EVENTS or whole or "error" in data

    def message(self, data: Any, event: str, t: float) -> list[Event]:
        if not isinstance(data, dict):
            return []
        kind = data.get("type") or event
        out: list[Event] = []
        if kind == "content_block_delta":
            delta = data.get("delta")
            if isinstance(delta, dict):
                self._delta(out, t, data.get("index"), delta)
        elif kind == "content_block_start":
            block = data.get("content_block")
            if isinstance(block, dict):
                self._block(out, t, data.get("index"), block)
        elif kind == "message_start":
            message = data.get("message")
            usage = message.get("usage") if isinstance(message, dict) else None
            if isinstance(usage, dict):
                self._usage(usage.get("input_tokens"), None)
        elif kind == "message_delta":
            delta = data.get("delta")
            if isinstance(delta, dict) and delta.get("stop_reason"):
                self._finish(delta["stop_reason"], REASONS)
            usage = data.get("usage")
            if isinstance(usage, dict):  # cumulative counts: the last one wins
                self._usage(usage.get("input_tokens"), usage.get("output_tokens"))
        elif kind == "message_stop":
            self.finished = self.complete = True
        elif kind == "error" or (kind not in EVENTS and "error" in data):
            raise _reported(data)
        return out  # ping, content_block_stop and unknown types carry nothing to show

    def _delta(self, out: list[Event], t: float, index: Any, delta: dict[str, Any]) -> None:
        kind = delta.get("type")
        if kind == "text_delta":
            self._text(out, t, delta.get("text"))
        elif kind == "thinking_delta":
            self._reasoning(out, t, delta.get("thinking"))
        elif kind == "input_json_delta":
            self.tool_calls.piece(
                index if type(index) is int else None, None, None, delta.get("partial_json")
            )
            self.outputs += 1

    def _block(self, out: list[Event], t: float, index: Any, block: dict[str, Any]) -> None:
        kind = block.get("type")
        if kind == "text":
            self._text(out, t, block.get("text"))
        elif kind == "thinking":
            self._reasoning(out, t, block.get("thinking"))
        elif kind == "tool_use":
            self.tool_calls.piece(
                index if type(index) is int else None, block.get("id"), block.get("name")
            )
            self.outputs += 1

    def whole(self, data: Any, t: float) -> list[Event]:
        if not isinstance(data, dict) or data.get("type") == "error" or "error" in data:
            raise _reported(data)
        out: list[Event] = []
        for index, block in enumerate(data.get("content") or []):
            if not isinstance(block, dict):
                continue
            if block.get("type") == "tool_use":
                self.tool_calls.whole(block.get("id"), str(block.get("name")), block.get("input"))
                self.outputs += 1
            else:
                self._block(out, t, index, block)
        self._finish(data.get("stop_reason"), REASONS)  # none: none is invented
        usage = data.get("usage")
        if isinstance(usage, dict):
            self._usage(usage.get("input_tokens"), usage.get("output_tokens"))
        self.complete = True
        return out


def _reported(data: Any) -> ServerReported:
    error = data.get("error") if isinstance(data, dict) else None
    kind = error.get("type") if isinstance(error, dict) else None
    return ServerReported(
        server_message(data) or "unknown error", retryable=kind in RETRYABLE_ERRORS
    )


def wire_messages(messages: list[Message]) -> list[Message]:
    """Messages in Anthropic's shape: no system messages, `tool_use` blocks in the
    assistant's message, `tool_result` blocks in the next user message (consecutive user
    messages merged, as the API wants turns to alternate)."""
    out: list[Message] = []
    for message in messages:
        role = message.get("role")
        if role == "system":
            continue
        if role == "tool":
            block = {
                "type": "tool_result",
                "tool_use_id": message["tool_call_id"],
                "content": str(message.get("content") or "") or "(no output)",
            }
            if not message.get("ok", True):
                block["is_error"] = True
            _add_user(out, [block])
        elif message.get("tool_calls"):
            blocks: list[dict[str, Any]] = []
            if message.get("content"):
                blocks.append({"type": "text", "text": message["content"]})
            blocks += [
                {"type": "tool_use", "id": c["id"], "name": c["name"], "input": c["arguments"]}
                for c in message["tool_calls"]
            ]
            out.append({"role": "assistant", "content": blocks})
        elif role == "user" and out and out[-1]["role"] == "user":
            _add_user(out, [{"type": "text", "text": message.get("content", "")}])
        else:
            out.append(message)
    return out


def _add_user(out: list[Message], blocks: list[dict[str, Any]]) -> None:
    """Append `blocks` to the last message when it is the user's, else as a new one."""
    if out and out[-1]["role"] == "user":
        last = out[-1]
        content = last["content"]
        if isinstance(content, str):
            content = [{"type": "text", "text": content}]
        out[-1] = {**last, "content": [*content, *blocks]}
    else:
        out.append({"role": "user", "content": blocks})


class Anthropic(Provider):
    """The Anthropic Messages API."""

    name = "anthropic"
    label = "Anthropic"
    wire = "sse"
    key_env = "ANTHROPIC_API_KEY"
    base_env = "ANTHROPIC_BASE_URL"
    default_base = "https://api.anthropic.com"
    guessed_from = ("ANTHROPIC_API_KEY",)
    connect_hint = "check the network, the proxy settings (HTTPS_PROXY) and ANTHROPIC_BASE_URL"

    @classmethod
    def normalize_base(cls, base_url: str) -> str:
        base = super().normalize_base(base_url)
        return base[: -len("/v1")] if base.endswith("/v1") else base

    @property
    def key_required(self) -> bool:
        return self.base_url == self.default_base

    def headers(self, accept: str) -> dict[str, str]:
        headers = {"accept": accept, "anthropic-version": API_VERSION}
        if self.key:
            headers["x-api-key"] = self.key
        return headers

    def chat_call(self, request: ChatRequest) -> Call:
        body: dict[str, Any] = {
            "model": request.model,
            "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
            "messages": wire_messages(request.wire_messages()),
            "stream": request.stream,
        }
        if request.system:
            body["system"] = request.system
        if request.tools:
            body["tools"] = [
                {
                    "name": t["name"],
                    "description": t["description"],
                    "input_schema": t["parameters"],
                }
                for t in request.tools
            ]
        if request.temperature is not None:
            body["temperature"] = request.temperature
        accept = "text/event-stream" if request.stream else "application/json"
        return Call("POST", f"{self.base_url}/v1/messages", self.headers(accept), body)

    def models_call(self) -> Call:
        return Call(
            "GET", f"{self.base_url}/v1/models?limit=1000", self.headers("application/json")
        )

    def decoder(self) -> Decoder:
        return AnthropicDecoder()


PROVIDER = Anthropic
