"""Fake LLM servers for tests and benchmarks: real HTTP on 127.0.0.1, scripted replies.

`FakeServer` (in `servers.http`) plays scripted `Reply`s; `servers.openai`,
`servers.ollama` and `servers.anthropic` build the replies each protocol sends, so a test
reads like the conversation it checks.
"""

from servers.http import (
    Drop,
    FakeServer,
    Hang,
    Pause,
    Received,
    Reply,
    Step,
    Trickle,
    paced,
    split_bytes,
)

__all__ = [
    "Drop",
    "FakeServer",
    "Hang",
    "Pause",
    "Received",
    "Reply",
    "Step",
    "Trickle",
    "paced",
    "split_bytes",
]
