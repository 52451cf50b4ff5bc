"""What is asked of a model: the messages, the model and the sampling options."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from streamcli.transcript import Message


@dataclass(frozen=True)
class ChatRequest:
    """A request, independent of the protocol that carries it.

    `messages` is the whole conversation sent (a later turn sends the history again);
    system messages may appear in it and each provider puts them where its API wants them.
    """

    messages: list[Message]
    model: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    stream: bool = True
    seed: int | None = None  # for repeatable sampling, where the API takes one
    tools: tuple[dict[str, Any], ...] = ()  # offered: {"name", "description", "parameters"}

    @classmethod
    def from_prompt(
        cls,
        prompt: str,
        system: str | None = None,
        earlier: list[Message] | None = None,
        **options: Any,
    ) -> ChatRequest:
        """The request for `prompt`, after the `earlier` messages of the conversation."""
        messages: list[Message] = []
        if system:
            messages.append({"role": "system", "content": system})
        messages.extend(earlier or ())
        messages.append({"role": "user", "content": prompt})
        return cls(messages=messages, **options)

    def with_model(self, model: str) -> ChatRequest:
        return replace(self, model=model)

    def followed_by(self, messages: list[Message]) -> ChatRequest:
        """The same request with `messages` (the answer so far, tool results) appended."""
        return replace(self, messages=[*self.messages, *messages])

    def wire_messages(self) -> list[Message]:
        """The messages to convert for the wire: without tools offered, tool calls and
        results become plain text (APIs refuse tool messages without tool definitions)."""
        return self.messages if self.tools else flatten_tools(self.messages)

    @property
    def system(self) -> str | None:
        """The system messages joined, for APIs that take the system prompt apart."""
        parts = [m["content"] for m in self.messages if m.get("role") == "system"]
        return "\n\n".join(parts) if parts else None

    @property
    def conversation(self) -> list[Message]:
        """The messages without the system ones."""
        return [m for m in self.messages if m.get("role") != "system"]


def flatten_tools(messages: list[Message]) -> list[Message]:
    """`messages` with tool calls and results told as text, for a model without tools."""
    if not any(m.get("tool_calls") or m.get("role") == "tool" for m in messages):
        return messages
    flat: list[Message] = []
    for message in messages:
        role = message.get("role")
        if role == "tool":
            outcome = "returned" if message.get("ok", True) else "failed"
            text = f"[the tool {message.get('name')} {outcome}: {message.get('content', '')}]"
            if flat and flat[-1]["role"] == "user" and flat[-1].get("tool_text"):
                flat[-1]["content"] += "\n" + text
            else:
                flat.append({"role": "user", "content": text, "tool_text": True})
        elif message.get("tool_calls"):
            calls = "\n".join(
                f"[called the tool {call.get('name')} with {_json(call.get('arguments'))}]"
                for call in message["tool_calls"]
            )
            content = str(message.get("content") or "")
            flat.append({"role": "assistant", "content": f"{content}\n{calls}".strip()})
        else:
            flat.append(message)
    for message in flat:
        message.pop("tool_text", None)
    return flat


def tool_result_text(message: Message) -> str:
    """A tool message's content as told to a model (for APIs without an error flag, a
    failure says so)."""
    content = str(message.get("content") or "") or "(no output)"
    return content if message.get("ok", True) else f"The call failed: {content}"


def _json(value: Any) -> str:
    import orjson

    return orjson.dumps(value).decode()


def join_prompt(words: list[str], piped: str | None) -> str:
    """The prompt from the command line and what was piped on stdin.

    ``cat error.log | streamcli chat "what went wrong?"`` sends the piped text first and
    the question after it, separated by a blank line.
    """
    prompt = " ".join(words).strip()
    piped = (piped or "").strip("\n")
    if piped.strip() and prompt:
        return f"{piped}\n\n{prompt}"
    return piped if piped.strip() else prompt
