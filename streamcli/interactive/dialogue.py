"""What a session has said so far: the conversation it continues and its own turns."""

from __future__ import annotations

from dataclasses import dataclass, field

from streamcli.transcript import Message


@dataclass
class Turn:
    """One question of the session and what it added to the conversation."""

    prompt: str
    messages: list[Message]  # after the question: answers, tool calls and results
    exchange: int | None = None  # its row in the history
    model: str | None = None  # the model that answered, as the prompt names it


@dataclass
class Dialogue:
    """The conversation of a session: what came before it (loaded) and its own turns."""

    id: int | None = None  # in the history; None until the first turn is saved
    earlier: list[Message] = field(default_factory=list)  # loaded (-c, /load)
    turns: list[Turn] = field(default_factory=list)

    def messages(self) -> list[Message]:
        """Everything to send before the next question."""
        sent = list(self.earlier)
        for turn in self.turns:
            sent.append({"role": "user", "content": turn.prompt})
            sent.extend(turn.messages)
        return sent
