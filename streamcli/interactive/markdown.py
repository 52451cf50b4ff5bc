"""`/save FILE`: a conversation as Markdown, each answer under the model that made it."""

from __future__ import annotations

import orjson

from streamcli.interactive.dialogue import Dialogue
from streamcli.sources.chat.request import tool_result_text
from streamcli.transcript import Message

EARLIER = "Assistant"  # the answers of a conversation continued (`-c`, `/load`)


def conversation_markdown(dialogue: Dialogue, system: str | None) -> str:
    """The questions, answers, tool calls and results of `dialogue`, as Markdown."""
    models = list(dict.fromkeys(turn.model for turn in dialogue.turns if turn.model))
    out = [f"# Conversation{' with ' + ', '.join(models) if models else ''}", ""]
    if system:
        out += ["## System", "", system, ""]
    out += _messages(dialogue.earlier, EARLIER)
    for turn in dialogue.turns:
        asked: Message = {"role": "user", "content": turn.prompt}
        out += _messages([asked, *turn.messages], turn.model or EARLIER)
    return "\n".join(out).rstrip("\n") + "\n"


def _messages(messages: list[Message], model: str) -> list[str]:
    out: list[str] = []
    for message in messages:
        role = message.get("role")
        if role == "user":
            out += ["## You", "", str(message.get("content", "")), ""]
        elif role == "assistant":
            out += [f"## {model}", ""]
            if message.get("content"):
                out += [str(message["content"]), ""]
            for call in message.get("tool_calls") or ():
                arguments = orjson.dumps(call.get("arguments", {})).decode()
                out += [f"- tool call `{call.get('name')}` `{arguments}`", ""]
        elif role == "tool":
            out += [f"### Tool {message.get('name')}", "", "```", tool_result_text(message)]
            out += ["```", ""]
    return out
