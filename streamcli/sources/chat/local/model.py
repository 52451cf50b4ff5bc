"""A GGUF model in this process: checking the file, loading it quietly, building the prompt.

llama-cpp-python is imported only here and only when a local model is used (it loads a
shared library). Its log goes through our own callback, which keeps the last errors (to
explain a failed load) and prints nothing: llama.cpp's chatter must not reach a terminal
streamcli is drawing on.
"""

from __future__ import annotations

import collections
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streamcli.errors import BadInput, StreamcliError
from streamcli.sources.chat.local.bundled import INSTALL_HINT, PACKAGE, LocalUnavailable
from streamcli.transcript import Message

CONTEXT_TOKENS = 8192  # the context allocated for a conversation (prompt + answer)
GGUF_MAGIC = b"GGUF"
# Without a chat template, the conversation is written as a transcript, and the answer
# ends where the model starts the next turn, or at a blank line: a base model continues
# text rather than answering, and would otherwise ramble on to --max-tokens.
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

_errors: collections.deque[str] = collections.deque(maxlen=20)
_log_callback: Any = None  # kept referenced: llama.cpp holds a pointer to it


def installed(bundled: bool = True) -> bool:
    """Whether the `local` extra is installed (without importing it)."""
    names = ("llama_cpp", PACKAGE) if bundled else ("llama_cpp",)
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


def load(path: Path) -> Any:
    """Load the GGUF model at `path` into a `llama_cpp.Llama`.

    Call it from the main thread before the stream starts: while a model loads,
    llama-cpp-python points the process's stdout and stderr at /dev/null, which would
    swallow anything another thread wrote at that moment.
    """
    try:
        import llama_cpp
    except ImportError:
        raise LocalUnavailable(
            f"the local provider needs llama-cpp-python: {INSTALL_HINT}"
        ) from None
    _quiet_logs(llama_cpp)
    _errors.clear()
    try:
        return llama_cpp.Llama(
            model_path=os.fspath(path),
            n_ctx=CONTEXT_TOKENS,
            swa_full=False,  # sliding-window layers keep only their window (less memory)
            verbose=False,
        )
    except (ValueError, RuntimeError) as exc:
        reason = _errors[-1] if _errors else str(exc)
        raise BadInput(f"llama.cpp cannot load the model {path}: {reason}") from None


def _quiet_logs(llama_cpp: Any) -> None:
    """Route llama.cpp's log to a callback that keeps error lines and prints nothing."""
    global _log_callback
    if _log_callback is not None:
        return
    import ctypes

    @llama_cpp.llama_log_callback
    def keep_errors(level: int, text: bytes, user_data: Any) -> None:
        if level == 3:  # GGML_LOG_LEVEL_ERROR
            line = text.decode("utf-8", "replace").strip()
            if line:
                _errors.append(line)

    _log_callback = keep_errors
    llama_cpp.llama_log_set(keep_errors, ctypes.c_void_p(0))


@dataclass(frozen=True)
class Prompt:
    """The conversation as the model reads it."""

    tokens: list[int]
    stops: tuple[str, ...]  # text that ends the answer (besides end-of-generation tokens)
    template: str  # "gguf": the model's own chat template; "transcript": none found


def build_prompt(llm: Any, messages: list[Message], examples: bool = False) -> Prompt:
    """Format `messages` with the chat template from the model's metadata, and tokenize.

    A model without a template (a base model, like the bundled Gemma 3 270M) gets a plain
    transcript that ends with "Assistant:", and stops at the next turn or a blank line;
    with `examples`, the transcript starts with an instruction and two example turns.
    """
    template = llm.metadata.get("tokenizer.chat_template")
    if template:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        formatter = Jinja2ChatFormatter(
            template=template,
            eos_token=_token_text(llm, llm.token_eos()),
            bos_token=_token_text(llm, llm.token_bos()),
        )
        try:
            # Our messages are plain dicts of the shape llama_cpp declares as TypedDicts.
            text = formatter(messages=messages).prompt  # type: ignore[arg-type]
        except Exception as exc:  # the template's own raise_exception, or a Jinja error
            raise BadInput(f"the model's chat template rejects this conversation: {exc}") from None
        tokens = llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
        return Prompt(tokens, (), "gguf")
    text = transcript(messages, examples)
    tokens = llm.tokenize(text.encode("utf-8"), add_bos=True, special=False)
    return Prompt(tokens, TRANSCRIPT_STOPS, "transcript")


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


def _token_text(llm: Any, token: int) -> str:
    if token < 0:
        return ""
    return llm.detokenize([token], special=True).decode("utf-8", "replace")


def context_limit(llm: Any) -> int:
    """How many tokens a conversation may hold: the context, or less if trained for less."""
    arch = llm.metadata.get("general.architecture", "")
    trained = llm.metadata.get(f"{arch}.context_length", "")
    limit = llm.n_ctx()
    return min(limit, int(trained)) if trained.isdigit() and int(trained) > 0 else limit


class StopScanner:
    """Holds back text that may be the start of a stop string; ends at a whole one.

    `feed` returns the text that is safe to show; once a stop string is complete,
    `stopped` is true and the text from it on is dropped.
    """

    def __init__(self, stops: tuple[str, ...]) -> None:
        self.stops = stops
        self.stopped = False
        self._held = ""

    def feed(self, text: str) -> str:
        if not self.stops:
            return text
        held = self._held + text
        cut = min((i for i in (held.find(s) for s in self.stops) if i >= 0), default=-1)
        if cut >= 0:
            self.stopped = True
            self._held = ""
            return held[:cut]
        keep = max((_overlap(held, s) for s in self.stops), default=0)
        self._held = held[len(held) - keep :] if keep else ""
        return held[: len(held) - keep]

    def flush(self) -> str:
        """The end of the answer: what was held back is text after all."""
        held, self._held = self._held, ""
        return "" if self.stopped else held


def _overlap(text: str, stop: str) -> int:
    """The length of the longest end of `text` that begins `stop`."""
    for size in range(min(len(text), len(stop) - 1), 0, -1):
        if text.endswith(stop[:size]):
            return size
    return 0


class RepetitionGuard:
    """Notices an answer stuck in a loop: the same few tokens over and over.

    `feed` returns True once the last `window` tokens are one cycle of at most
    `longest` tokens repeated (`0000…`, `the the the…`, `Name: City: Name: City:…`).
    """

    def __init__(self, window: int = 24, longest: int = 8) -> None:
        self.window = window
        self.longest = longest
        self._recent: collections.deque[int] = collections.deque(maxlen=window)

    def feed(self, token: int) -> bool:
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
