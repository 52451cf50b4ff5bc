"""The `local` provider: a GGUF model run in this process (llama.cpp through xllamacpp).

`open_local` (main thread, before the stream starts) finds the model — `--model PATH`, or
the bundled Gemma 3 270M, assembled into the cache on first use — reads its metadata and
loads it. `LocalSource.batches` then asks for the answer: a model with a chat template of
its own gets the conversation as messages (llama.cpp applies the template); one without
(a base model, like the bundled one) gets a plain transcript and stops where the next
turn would begin. The request runs in a thread of its own and hands its chunks over, one
token each; `batches` turns them into events as they come.

Ctrl-C (`close`) sets a flag that the request checks at each chunk — each token, and each
`engine.PROMPT_BATCH` tokens while a long prompt is read — and then leaves llama.cpp;
the events stop at once.
"""

from __future__ import annotations

import contextlib
import queue
import random
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from streamcli import events
from streamcli.errors import BadInput
from streamcli.events import Event
from streamcli.sources.chat.local import engine as local_engine
from streamcli.sources.chat.local import gguf
from streamcli.sources.chat.local import model as local_model
from streamcli.sources.chat.local.bundled import bundled_model
from streamcli.sources.chat.local.loading import LoadingSpinner
from streamcli.sources.chat.local.model import LocalFailure, RepetitionGuard
from streamcli.sources.chat.request import ChatRequest
from streamcli.stream import Source
from streamcli.transcript import Transcript

DEFAULT_TEMPERATURE = 0.8
DEFAULT_MAX_TOKENS = 1024  # a base model may ramble until its context is full
# The bundled model decodes greedily (sampling makes a 270M base model babble), stops a
# loop, and ends a runaway answer after a few seconds; `--temperature` and `--max-tokens`
# still apply. A model of the user's own keeps the defaults above.
BUNDLED_MAX_TOKENS = 256
# llama.cpp's server counts the prompt's last 64 tokens too (the example turns), so a
# light penalty: 1.05 answered 24 of benchmarks/local_quality.py's 40 questions right,
# 1.0 22, 1.1 18 (the penalty llama-cpp-python used, over the answer alone: 21).
BUNDLED_REPEAT_PENALTY = 1.05
# llama.cpp's own sampling defaults.
TOP_K = 40
TOP_P = 0.95
MIN_P = 0.05
_DONE = object()  # the request left llama.cpp


@dataclass(frozen=True)
class LocalModel:
    """A loaded model and how to name it."""

    llm: local_engine.Engine
    name: str
    load_ms: float
    bundled: bool = False  # the bundled base model: greedy, with example turns
    template: bool = False  # it brings a chat template: it gets messages, not a transcript

    def close(self) -> None:
        """Free the model (once the answer using it, if any, has left llama.cpp)."""
        with contextlib.suppress(Exception):
            self.llm.close()


def open_local(
    request: ChatRequest, *, environ: Mapping[str, str], stderr: TextIO, progress: bool = False
) -> LocalSource:
    """Find and load the model (`request.model` is a GGUF path; None: the bundled one).

    With `progress`, a "loading model…" spinner turns on stderr (a terminal) meanwhile.
    Raises `BadInput` for a missing or invalid model file (exit 2), `StreamcliError` when
    the `local` extra is missing or the bundled model cannot be prepared.
    """
    model = request.model
    path = local_model.check_model_file(Path(model)) if model else bundled_model(environ, stderr)
    try:
        meta = gguf.metadata(path)
    except (gguf.GGUFError, OSError) as exc:
        raise BadInput(f"cannot load the model {path}: {exc}") from None
    trained = gguf.trained_context(meta) or local_model.CONTEXT_TOKENS
    started = time.monotonic()
    with LoadingSpinner(stderr if progress else None):
        llm = local_engine.load(path, context=min(local_model.CONTEXT_TOKENS, trained))
    load_ms = round((time.monotonic() - started) * 1000, 3)
    template = gguf.chat_template(meta) is not None
    return LocalSource(LocalModel(llm, path.name, load_ms, not model, template), request)


class LocalSource(Source):
    """A chat answered by the model in this process."""

    name = "chat"
    keep_loaded = False  # a session's model stays loaded between turns

    def __init__(self, model: LocalModel, request: ChatRequest) -> None:
        self.model = model
        self.request = request
        self.seed = request.seed if request.seed is not None else random.randrange(2**31)
        self._stopped = threading.Event()  # Ctrl-C: leave llama.cpp, no more events
        self._enough = threading.Event()  # the answer is complete (a loop was cut)
        self._clock = events.StreamClock()
        self.transcript = Transcript()  # what it said, for the history and a session

    def close(self) -> None:
        """Stop generating: the request leaves llama.cpp at its next chunk."""
        self._stopped.set()

    def batches(self) -> Iterator[list[Event]]:
        try:
            for batch in self._generate():
                self.transcript.feed(batch)
                yield batch
        finally:
            self._enough.set()
            if not self.keep_loaded:
                self.model.llm.close()  # once the request has left llama.cpp

    def _body(self) -> tuple[str, dict[str, Any]]:
        """The route and the request llama.cpp gets."""
        request, bundled = self.request, self.model.bundled
        temperature = request.temperature
        if temperature is None:
            temperature = 0.0 if bundled else DEFAULT_TEMPERATURE
        body: dict[str, Any] = {
            "stream": True,
            "max_tokens": request.max_tokens
            or (BUNDLED_MAX_TOKENS if bundled else DEFAULT_MAX_TOKENS),
            "temperature": temperature,
            "top_k": TOP_K,
            "top_p": TOP_P,
            "min_p": MIN_P,
            "repeat_penalty": BUNDLED_REPEAT_PENALTY if bundled else 1.0,
            "seed": self.seed,
            "timings_per_token": True,  # token counts in every chunk
            "return_progress": True,  # chunks while a long prompt is read: a chance to stop
        }
        messages = request.wire_messages()
        if self.model.template:
            return "chat", {**body, "messages": messages}
        prompt = local_model.transcript(messages, examples=bundled)
        return "completions", {**body, "prompt": prompt, "stop": list(local_model.TRANSCRIPT_STOPS)}

    def _ask(self, route: str, body: dict[str, Any], chunks: queue.Queue[Any]) -> None:
        """The request's thread: each chunk into `chunks`, until stopped or done."""

        def on_chunk(chunk: dict[str, Any]) -> bool:
            if self._stopped.is_set():
                return True
            chunks.put(chunk)
            return self._enough.is_set()

        try:
            self.model.llm.stream(route, body, on_chunk)
        except Exception as exc:  # the model was unloaded, or llama.cpp failed
            chunks.put({"error": {"message": str(exc)}})
        finally:
            chunks.put(_DONE)

    def _generate(self) -> Iterator[list[Event]]:
        clock = self._clock
        yield [events.start(clock(), "chat", provider="local", model=self.model.name)]
        route, body = self._body()
        chunks: queue.Queue[Any] = queue.Queue()
        started = time.monotonic()
        threading.Thread(
            target=self._ask, args=(route, body, chunks), name="streamcli-local", daemon=True
        ).start()
        answer = _Answer(RepetitionGuard() if self.model.bundled else None)
        while not answer.finished:
            try:
                chunk = chunks.get(timeout=0.1)
            except queue.Empty:
                chunk = None
            if self._stopped.is_set():
                return
            if chunk is _DONE:
                break
            if chunk is not None and (batch := self._events(answer, chunk)):
                yield batch
        self._enough.set()
        extra: dict[str, Any] = {
            "usage": {"input_tokens": answer.input_tokens, "output_tokens": answer.output_tokens},
            "duration_ms": round((time.monotonic() - started) * 1000, 3),
            "load_ms": self.model.load_ms,
            "seed": self.seed,
        }
        if answer.first_text is not None:  # from the request, not the model's load
            extra["ttft_ms"] = round((answer.first_text - started) * 1000, 3)
        yield [events.end(clock(), answer.reason, **extra)]

    def _events(self, answer: _Answer, chunk: dict[str, Any]) -> list[Event]:
        thought, text = answer.take(chunk)
        batch = [events.reasoning(self._clock(), thought)] if thought else []
        if text:
            if answer.first_text is None:
                answer.first_text = time.monotonic()
            batch.append(events.text(self._clock(), text))
        return batch


class _Answer:
    """The answer as its chunks arrive: its text, token counts, and how it ended."""

    def __init__(self, repetition: RepetitionGuard | None) -> None:
        self.repetition = repetition
        self.reason = "length"
        self.finished = False
        self.started = False  # the answer's leading blank is left out
        self.input_tokens = 0
        self.output_tokens = 0
        self.first_text: float | None = None

    def take(self, chunk: dict[str, Any]) -> tuple[str, str]:
        """The reasoning and the text `chunk` adds to the answer (raises for an error)."""
        if "error" in chunk:
            raise _failure(chunk["error"])
        if "prompt_progress" in chunk:
            return "", ""
        timings = chunk.get("timings") or {}
        self.input_tokens = timings.get("prompt_n", 0) + timings.get("cache_n", 0)
        self.output_tokens = timings.get("predicted_n", self.output_tokens)
        choice = (chunk.get("choices") or [{}])[0]
        delta = choice.get("delta") or {}
        text = choice.get("text") or delta.get("content") or ""
        if not self.started:
            text = text.lstrip()
            self.started = bool(text)
        if choice.get("finish_reason"):
            self.reason = "stop" if choice["finish_reason"] == "stop" else "length"
            self.finished = True
        elif text and self.repetition is not None and self.repetition.feed(text):
            self.finished = True  # a loop: cut off, as if out of tokens
        return delta.get("reasoning_content") or "", text


def _failure(error: Any) -> Exception:
    """The exception for an error chunk: a prompt too long is bad input."""
    error = error if isinstance(error, dict) else {"message": str(error)}
    message = str(error.get("message") or "unknown error")
    if error.get("type") == "exceed_context_size_error":
        return BadInput(
            f"the prompt is {error.get('n_prompt_tokens')} tokens; the local model's context "
            f"holds {error.get('n_ctx')}"
        )
    if error.get("code") == 400:
        return BadInput(f"the local model rejects this conversation: {message}")
    return LocalFailure(f"the local model failed: {message}")
