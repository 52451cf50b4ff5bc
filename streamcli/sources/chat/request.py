"""What is asked of a model: the messages, the model and the sampling options."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

Message = dict[str, Any]  # {"role": "system" | "user" | "assistant", "content": str}


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

    @classmethod
    def from_prompt(cls, prompt: str, system: str | None = None, **options: Any) -> ChatRequest:
        messages: list[Message] = []
        if system:
            messages.append({"role": "system", "content": system})
        messages.append({"role": "user", "content": prompt})
        return cls(messages=messages, **options)

    def with_model(self, model: str) -> ChatRequest:
        return replace(self, model=model)

    @property
    def system(self) -> str | None:
        """The system messages joined, for APIs that take the system prompt apart."""
        parts = [m["content"] for m in self.messages if m.get("role") == "system"]
        return "\n\n".join(parts) if parts else None

    @property
    def conversation(self) -> list[Message]:
        """The messages without the system ones."""
        return [m for m in self.messages if m.get("role") != "system"]


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
