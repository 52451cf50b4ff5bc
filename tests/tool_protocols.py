"""The three chat protocols' fake servers as tool tests drive them: how to point
`streamcli chat` at each, how each asks for tool calls, and what each sends back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from servers import FakeServer, Reply
from servers import anthropic as an
from servers import ollama as ol
from servers import openai as oa


@dataclass
class Protocol:
    name: str
    path: str
    args: Callable[[FakeServer], list[str]]
    env: dict[str, str]
    calls: Callable[..., Reply]  # (calls as (id, name, arguments), text=…) -> a tool-call reply
    answer: Callable[[list[str]], Reply]

    def results(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """The tool results a request sends back: id (or name), content, error."""
        out = []
        for message in body["messages"]:
            if message["role"] == "tool":
                key = message.get("tool_call_id") or message.get("tool_name")
                content = message["content"]
                out.append({"id": key, "content": content, "error": "failed" in content[:16]})
            elif isinstance(message.get("content"), list):
                for block in message["content"]:
                    if block.get("type") == "tool_result":
                        out.append(
                            {
                                "id": block["tool_use_id"],
                                "content": block["content"],
                                "error": block.get("is_error", False),
                            }
                        )
        return out

    def offered(self, body: dict[str, Any]) -> list[str]:
        """The names of the tools a request offers."""
        return [t.get("name") or t["function"]["name"] for t in body.get("tools", [])]


def _ollama_calls(calls, **options) -> Reply:
    return ol.tool_calls([(name, arguments) for _, name, arguments in calls], **options)


PROTOCOLS = [
    Protocol(
        "ollama",
        ol.PATH,
        lambda s: ["-p", "ollama", "--base-url", s.url],
        {},
        _ollama_calls,
        ol.stream,
    ),
    Protocol(
        "openai",
        oa.PATH,
        lambda s: ["--base-url", s.url + "/v1"],
        {"OPENAI_API_KEY": "sk-test-key-0123456789"},
        lambda calls, **o: oa.tool_calls(calls, fragment=3, **o),
        oa.stream,
    ),
    Protocol(
        "anthropic",
        an.PATH,
        lambda s: ["--base-url", s.url],
        {"ANTHROPIC_API_KEY": "sk-ant-test-0123456789"},
        lambda calls, **o: an.tool_use(calls, fragment=3, **o),
        an.stream,
    ),
]
OPENAI = PROTOCOLS[1]
