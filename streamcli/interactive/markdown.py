"""`/save FILE`: a conversation as Markdown."""

from __future__ import annotations

import orjson

from streamcli.sources.chat.request import tool_result_text
from streamcli.sources.chat.settings import ChatSettings
from streamcli.transcript import Message


def conversation_markdown(messages: list[Message], settings: ChatSettings, model: str) -> str:
    """The questions, answers, tool calls and results of `messages`, as Markdown."""
    out = [f"# Conversation with {model}", ""]
    if settings.system:
        out += ["## System", "", settings.system, ""]
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
    return "\n".join(out).rstrip("\n") + "\n"
