"""What the local provider knows of a model before and around llama.cpp: checking the
file, the transcript a model without a chat template reads, a guard against loops.

llama.cpp itself is reached through `engine` (xllamacpp), imported only when a local
model is used.
"""

from __future__ import annotations

import collections
import importlib.util
from collections.abc import Hashable
from pathlib import Path

from streamcli.errors import BadInput, StreamcliError
from streamcli.sources.chat.local.bundled import PACKAGE
from streamcli.transcript import Message

CONTEXT_TOKENS = 8192  # the context allocated for a conversation (prompt + answer)
GGUF_MAGIC = b"GGUF"
# Without a chat template, the conversation is written as a transcript, and the answer
# ends where the model starts the next turn, or at a blank line: a base model continues
# text rather than answering, and would otherwise ramble on to --max-tokens. (llama.cpp
# holds back text that may begin one of these, and drops the one that ends the answer.)
TRANSCRIPT_STOPS = ("\nUser:", "\nAssistant:", "\n\n")
# The bundled model is a base model: it answers a question only when the transcript shows
# what an answer looks like. `benchmarks/local_quality.py` measures what this buys.
BUNDLED_INSTRUCTION = (
    "The following is a conversation between a user and a helpful, knowledgeable "
    "assistant. The assistant answers in one or two short sentences."
)
BUNDLED_EXAMPLES = (
    "User: What is the capital of Spain?\n"
    "Assistant: The capital of Spain is Madrid.\n"
    "User: How many hours are in a day?\n"
    "Assistant: There are 24 hours in a day.\n"
)


def installed(bundled: bool = True) -> bool:
    """Whether the `local` extra is installed (without importing it)."""
    names = ("xllamacpp", PACKAGE) if bundled else ("xllamacpp",)
    return all(importlib.util.find_spec(name) is not None for name in names)


def check_model_file(path: Path) -> Path:
    """`path` as a readable GGUF file, or `BadInput` saying what is wrong with it."""
    path = path.expanduser()
    try:
        with path.open("rb") as file:
            magic = file.read(4)
    except FileNotFoundError:
        raise BadInput(
            f"the model file {path} does not exist (--model takes a GGUF file)"
        ) from None
    except IsADirectoryError:
        raise BadInput(f"{path} is a directory; --model takes a GGUF file") from None
    except OSError as exc:
        raise BadInput(f"cannot read the model file {path}: {exc.strerror or exc}") from None
    if magic != GGUF_MAGIC:
        raise BadInput(f"{path} is not a GGUF model file (it does not begin with 'GGUF')")
    return path


def transcript(messages: list[Message], examples: bool = False) -> str:
    """The conversation as plain text: system prompt, then User:/Assistant: turns.

    With `examples`, the system prompt (or, without one, `BUNDLED_INSTRUCTION`) is
    followed by `BUNDLED_EXAMPLES`, before the conversation's own turns.
    """
    parts: list[str] = []
    system = [str(m.get("content") or "").strip() for m in messages if m.get("role") == "system"]
    if examples:
        parts.append(f"{system[0] if system else BUNDLED_INSTRUCTION}\n\n{BUNDLED_EXAMPLES}")
    for message in messages:
        content = str(message.get("content") or "").strip()
        role = message.get("role")
        if role == "system":
            if not examples:
                parts.append(f"{content}\n\n")
        else:
            parts.append(f"{'Assistant' if role == 'assistant' else 'User'}: {content}\n")
    parts.append("Assistant:")
    return "".join(parts)


class RepetitionGuard:
    """Notices an answer stuck in a loop: the same few tokens over and over.

    `feed` takes each token (its id, or its text) and returns True once the last `window`
    are one cycle of at most `longest` repeated (`0000…`, `the the the…`,
    `Name: City: Name: City:…`).
    """

    def __init__(self, window: int = 24, longest: int = 8) -> None:
        self.window = window
        self.longest = longest
        self._recent: collections.deque[Hashable] = collections.deque(maxlen=window)

    def feed(self, token: Hashable) -> bool:
        self._recent.append(token)
        if len(self._recent) < self.window:
            return False
        recent = list(self._recent)
        return any(
            all(recent[i] == recent[i - size] for i in range(size, self.window))
            for size in range(1, self.longest + 1)
        )


class LocalFailure(StreamcliError):
    """The local model could not be loaded or failed while answering."""

    kind = "local"
