"""Tool calls requested by a model, assembled from streamed pieces.

OpenAI streams a call's arguments as JSON text in fragments keyed by `index`; Anthropic
streams `input_json_delta` fragments per content block; Ollama sends each call whole with
its arguments as an object. `ToolCallParts` merges them into `ToolCall`s, with the
fallbacks servers need: a missing index continues the last call unless a new id starts one.
"""

from __future__ import annotations

from typing import Any

import orjson

from streamcli.tools.call import ToolCall


class ToolCallParts:
    """The tool calls of one reply, put together from their streamed pieces."""

    def __init__(self) -> None:
        self._calls: list[ToolCall] = []
        self._slots: dict[int, int] = {}  # the server's index -> position in _calls
        self._last: int | None = None

    def __bool__(self) -> bool:
        return bool(self._calls)

    def piece(
        self,
        index: int | None,
        id: str | None = None,
        name: str | None = None,
        arguments: str | None = None,
    ) -> None:
        """One streamed fragment of a call (any part may be missing)."""
        call = self._calls[self._slot(index, id)]
        if id and not call.id:
            call.id = id
        if name and not call.name:
            call.name = name
        if arguments:
            call.arguments_text += arguments

    def whole(self, id: str | None, name: str, arguments: Any) -> None:
        """A call that arrived complete (Ollama), arguments already an object or text."""
        call = self._calls[self._new(id)]
        call.name = name
        if isinstance(arguments, dict):
            call.arguments = arguments
        elif isinstance(arguments, str):
            call.arguments_text = arguments

    def done(self) -> list[ToolCall]:
        """The calls in order, their JSON arguments parsed (a problem noted, not raised)."""
        for position, call in enumerate(self._calls):
            call.id = call.id or f"call_{position}"
            if call.arguments_text.strip():
                try:
                    value = orjson.loads(call.arguments_text)
                except orjson.JSONDecodeError as exc:
                    call.problem = f"arguments are not valid JSON ({exc})"
                    continue
                if isinstance(value, dict):
                    call.arguments = value
                else:
                    call.problem = "arguments are not a JSON object"
        return list(self._calls)

    def _slot(self, index: int | None, id: str | None) -> int:
        if index is None:  # some servers omit it: a new id starts a call, else continue
            last = self._last
            if last is not None and (not id or self._calls[last].id in ("", id)):
                return last
            return self._new(id)
        slot = self._slots.get(index)
        if slot is None or (id and self._calls[slot].id not in ("", id)):
            slot = self._slots[index] = self._new(id)  # new, or a new call reusing the index
        self._last = slot
        return slot

    def _new(self, id: str | None) -> int:
        self._calls.append(ToolCall(id=id or "", name=""))
        self._last = len(self._calls) - 1
        return self._last
