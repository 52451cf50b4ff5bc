"""The interface every chat protocol implements (the registry is `streamcli.providers`).

A `Provider` knows one API: where to send a `ChatRequest` and with which headers and body
(`chat_call`), how to list the models (`models_call`, `model_names`), and how to read the
reply: its `Decoder` turns the parsed messages of one reply (SSE events or NDJSON lines,
already JSON-decoded) into events, and keeps what the `end` event needs (reason, usage).
Transport, retries, timeouts and framing are shared and live elsewhere.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from streamcli import events
from streamcli.events import Event
from streamcli.sources.chat.protocols.toolcalls import ToolCallParts
from streamcli.sources.chat.request import ChatRequest
from streamcli.tools.call import ToolCall


@dataclass(frozen=True)
class Call:
    """One HTTP request to make. `headers` may carry a key: never print them."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    body: Any = None


class ServerReported(Exception):
    """The server put an error object into the reply (mid-stream or as the whole body)."""

    def __init__(self, message: str, *, kind: str = "server_error", retryable: bool = False):
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.retryable = retryable
        self.whole = False  # the whole body was this error object (a 200 that failed)


class Decoder:
    """Reads one reply. Subclasses implement `message` (one streamed item) and `whole`.

    Every string of the server's that leaves a decoder other than as text or reasoning
    (which the reader's side masks as one stream) goes through `mask` (the known keys
    masked, set by whoever reads the reply): the `finish_reason`, the tool calls' ids,
    names and arguments.

    `outputs` counts pieces of content (text, reasoning, tool-call fragments): the
    watchdog's measure of progress. `finished` means the reply's final item arrived, so the
    end of the body is a normal end; `complete` means nothing more will come.
    """

    # The stream this decoder reads, as messages name it ("Ollama's NDJSON stream").
    expected: ClassVar[str] = "the expected stream"

    def __init__(self) -> None:
        self.recognised = 0  # messages of this protocol seen (0 at the end: not its stream)
        self.outputs = 0
        self.chars = 0  # characters of answer text so far
        self.finished = False
        self.complete = False
        self.reason = "stop"
        self.finish_reason: str | None = None  # the server's own word, when it differs
        self.usage: dict[str, int] = {}
        self.tool_calls = ToolCallParts()
        self.mask: Callable[[str], str] = str

    def calls(self) -> list[ToolCall]:
        """The tool calls the reply asked for, complete, their strings masked."""
        calls = self.tool_calls.done() if self.tool_calls else []
        for call in calls:
            call.id, call.name = self.mask(call.id), self.mask(call.name)
            call.arguments = _masked(call.arguments, self.mask)
            call.arguments_text = self.mask(call.arguments_text)
            call.problem = call.problem and self.mask(call.problem)
        return calls

    def message(self, data: Any, event: str, t: float) -> list[Event]:
        raise NotImplementedError

    def recognises(self, data: Any, event: str) -> bool:
        """Whether `data` (sent as `event`; "" for a whole answer) is one of this
        protocol's messages."""
        raise NotImplementedError

    def done_marker(self) -> None:
        """`data: [DONE]`: the end of an OpenAI-style stream; nothing for other APIs."""

    def whole(self, data: Any, t: float) -> list[Event]:
        """A reply that came as one JSON document instead of a stream."""
        raise NotImplementedError

    # Helpers for subclasses.

    def _text(self, out: list[Event], t: float, text: Any) -> None:
        if text and isinstance(text, str):
            out.append(events.text(t, text))
            self.outputs += 1
            self.chars += len(text)

    def _reasoning(self, out: list[Event], t: float, text: Any) -> None:
        if text and isinstance(text, str):
            out.append(events.reasoning(t, text))
            self.outputs += 1

    def _finish(self, raw: str | None, mapping: dict[str, str]) -> None:
        self.finished = True
        if raw:
            self.reason = mapping.get(raw, "stop")
            if raw != self.reason:
                self.finish_reason = self.mask(raw)

    def _usage(self, input_tokens: Any, output_tokens: Any) -> None:
        if type(input_tokens) is int:
            self.usage["input_tokens"] = input_tokens
        if type(output_tokens) is int:
            self.usage["output_tokens"] = output_tokens


class Provider:
    """One chat API. Class attributes describe it; instances hold a base URL and a key."""

    name: ClassVar[str]
    label: ClassVar[str]  # how messages name it, e.g. "Ollama"
    wire: ClassVar[str]  # "sse" or "ndjson": the framing when the content type is unclear
    key_env: ClassVar[str]  # the environment variable that holds the key
    base_env: ClassVar[str]  # the environment variable that holds the base URL
    default_base: ClassVar[str]
    connect_hint: ClassVar[str]  # what to check when the server cannot be reached
    # The environment variables whose presence makes it the guess (`settings.guessed`).
    guessed_from: ClassVar[tuple[str, ...]] = ()

    def __init__(self, base_url: str, key: str | None = None) -> None:
        self.base_url = self.normalize_base(base_url)
        self.key = key

    def __repr__(self) -> str:  # never the key
        return f"{type(self).__name__}({self.base_url!r})"

    @classmethod
    def normalize_base(cls, base_url: str) -> str:
        base = base_url.strip().rstrip("/")
        if "://" not in base:
            base = "http://" + base
        return base

    @property
    def key_required(self) -> bool:
        """Whether requests without a key are bound to fail (the vendor's own API)."""
        return False

    def chat_call(self, request: ChatRequest) -> Call:
        raise NotImplementedError

    def models_call(self) -> Call:
        raise NotImplementedError

    def model_names(self, body: Any) -> list[str]:
        """The model ids in a model listing; this is the `{"data": [{"id": ...}]}` shape
        OpenAI and Anthropic share."""
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            return []
        return [m["id"] for m in data if isinstance(m, dict) and isinstance(m.get("id"), str)]

    def decoder(self) -> Decoder:
        raise NotImplementedError


def _masked(value: Any, mask: Callable[[str], str]) -> Any:
    """`mask` applied to every string in a JSON value (keys and values)."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {mask(k): _masked(v, mask) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(item, mask) for item in value]
    return value


def provider_class(name: str) -> type[Provider]:
    """The HTTP API named `name` in the registry (`streamcli.providers`), its module
    imported only now; `local` is none."""
    from streamcli.providers import HTTP_PROVIDERS

    module = importlib.import_module(HTTP_PROVIDERS[name])
    provider: type[Provider] = module.PROVIDER
    return provider


def server_message(body: Any) -> str | None:
    """The human part of an error body, whichever API's shape it has."""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            message = error.get("message") or error.get("msg")
            kind = error.get("type") or error.get("code")
            if isinstance(message, str) and message:
                return f"{message} ({kind})" if isinstance(kind, str) and kind else message
        if isinstance(error, str) and error:
            return error
        for key in ("message", "detail"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
            if isinstance(value, list) and value:  # FastAPI validation errors
                first = value[0]
                if isinstance(first, dict) and isinstance(first.get("msg"), str):
                    return first["msg"]
    if isinstance(body, str) and body.strip():
        return body.strip()
    return None
