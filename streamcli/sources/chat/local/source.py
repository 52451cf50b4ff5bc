"""The `local` provider: a GGUF model run in this process with llama-cpp-python, no server.

`open_local` (main thread, before the stream starts) finds the model — `--model PATH`, or
the bundled Gemma 3 270M, assembled into the cache on first use — and loads it.
`LocalSource.batches` then generates in the pipeline's worker thread one token at a time,
yielding each piece of text as soon as it is decoded, and ends with the token counts.

Ctrl-C (`close`) sets a flag that is checked between tokens and, while the prompt is
being read (which can take seconds for a long one), by llama.cpp's abort callback: the
worker leaves llama.cpp within a fraction of a second, and the process exits without
waiting for the answer to finish. The callback is removed once the first token is out: it
runs at every step of llama.cpp's computation and needs the GIL each time, so while the
main thread draws the answer it would slow generation down, and between tokens the flag
is checked anyway.
"""

from __future__ import annotations

import atexit
import codecs
import contextlib
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
from streamcli.sources.chat.local import model as local_model
from streamcli.sources.chat.local.bundled import bundled_model
from streamcli.sources.chat.local.loading import LoadingSpinner
from streamcli.sources.chat.local.model import LocalFailure, RepetitionGuard, StopScanner
from streamcli.sources.chat.request import ChatRequest
from streamcli.stream import Source
from streamcli.transcript import Transcript

DEFAULT_TEMPERATURE = 0.8
DEFAULT_MAX_TOKENS = 1024  # a base model may ramble until its context is full
# The bundled model decodes greedily (sampling makes a 270M base model babble), stops a
# loop, and ends a runaway answer after a few seconds; `--temperature` and `--max-tokens`
# still apply. A model of the user's own keeps the defaults above.
BUNDLED_MAX_TOKENS = 256
BUNDLED_REPEAT_PENALTY = 1.1
# llama.cpp's own sampling defaults.
TOP_K = 40
TOP_P = 0.95
MIN_P = 0.05
EXIT_GRACE = 2.0  # seconds the process waits at exit for the worker to leave llama.cpp


@dataclass(frozen=True)
class LocalModel:
    """A loaded model and how to name it."""

    llm: Any  # llama_cpp.Llama
    name: str
    load_ms: float
    bundled: bool = False  # the bundled base model: greedy, with example turns

    def close(self) -> None:
        """Free the model (no answer may be using it)."""
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
    started = time.monotonic()
    with LoadingSpinner(stderr if progress else None):
        llm = local_model.load(path)
    load_ms = round((time.monotonic() - started) * 1000, 3)
    return LocalSource(LocalModel(llm, path.name, load_ms, bundled=not model), request)


class LocalSource(Source):
    """A chat answered by the model in this process."""

    name = "chat"
    keep_loaded = False  # a session's model stays loaded between turns

    def __init__(self, model: LocalModel, request: ChatRequest) -> None:
        self.model = model
        self.request = request
        self.seed = request.seed if request.seed is not None else random.randrange(2**31)
        self._stopped = threading.Event()
        self._idle = threading.Event()  # set while no thread is inside llama.cpp
        self._idle.set()
        self._clock = events.StreamClock()
        self.transcript = Transcript()  # what it said, for the history and a session
        self._abort = _abort_callback(self._stopped)
        atexit.register(self._idle.wait, EXIT_GRACE)

    def close(self) -> None:
        """Stop generating: checked between tokens and inside llama.cpp's computation."""
        self._stopped.set()

    def batches(self) -> Iterator[list[Event]]:
        self._idle.clear()
        try:
            for batch in self._generate():
                self.transcript.feed(batch)
                yield batch
        except RuntimeError as exc:  # llama_decode failed (or was aborted by `close`)
            if not self._stopped.is_set():
                raise LocalFailure(f"the local model failed: {exc}") from None
        finally:
            if not self.keep_loaded:
                self.model.llm.close()  # the model stays loaded only for this answer
            self._idle.set()

    def _generate(self) -> Iterator[list[Event]]:
        llm, request, clock = self.model.llm, self.request, self._clock
        yield [events.start(clock(), "chat", provider="local", model=self.model.name)]
        started = time.monotonic()
        bundled = self.model.bundled
        prompt = local_model.build_prompt(llm, request.wire_messages(), examples=bundled)
        room = local_model.context_limit(llm) - len(prompt.tokens)
        if room < 1:
            raise BadInput(
                f"the prompt is {len(prompt.tokens)} tokens; the local model's context "
                f"holds {local_model.context_limit(llm)}"
            )
        default_max = BUNDLED_MAX_TOKENS if bundled else DEFAULT_MAX_TOKENS
        budget = min(request.max_tokens or default_max, room)
        temperature = request.temperature
        if temperature is None:
            temperature = 0.0 if bundled else DEFAULT_TEMPERATURE
        repetition = RepetitionGuard() if bundled else None
        llm.set_seed(self.seed)
        from llama_cpp import llama_model_get_vocab, llama_vocab_is_eog

        vocab = llama_model_get_vocab(llm.model)

        utf8 = codecs.getincrementaldecoder("utf-8")("replace")
        stops = StopScanner(prompt.stops)
        reason, generated, first_text = "length", 0, None
        answer_started = False
        tokens = llm.generate(
            prompt.tokens,
            temp=temperature,
            top_k=TOP_K,
            top_p=TOP_P,
            min_p=MIN_P,
            repeat_penalty=BUNDLED_REPEAT_PENALTY if bundled else 1.0,
        )
        _watch(llm, self._abort)  # the prompt's evaluation can be stopped halfway
        for token in tokens:
            if self._stopped.is_set():
                return
            if generated == 0:
                _watch(llm, None)
            if llama_vocab_is_eog(vocab, token):
                reason = "stop"
                break
            generated += 1
            text = stops.feed(utf8.decode(llm.detokenize([token])))
            if not answer_started:
                text = text.lstrip()
                answer_started = bool(text)
            if text:
                if first_text is None:
                    first_text = time.monotonic()
                yield [events.text(clock(), text)]
            if stops.stopped:
                reason = "stop"
                break
            if generated >= budget or (repetition is not None and repetition.feed(token)):
                break
        tokens.close()
        rest = stops.feed(utf8.decode(b"", final=True)) + stops.flush()
        rest = rest if answer_started else rest.lstrip()
        if rest:
            yield [events.text(clock(), rest)]
        extra: dict[str, Any] = {
            "usage": {"input_tokens": len(prompt.tokens), "output_tokens": generated},
            "duration_ms": round((time.monotonic() - started) * 1000, 3),
            "load_ms": self.model.load_ms,
            "seed": self.seed,
        }
        if first_text is not None:
            extra["ttft_ms"] = round((first_text - started) * 1000, 3)
        yield [events.end(clock(), reason, **extra)]


def _abort_callback(stopped: threading.Event) -> Any:
    """A callback that makes llama.cpp's computation give up once `stopped` is set.

    Keep it referenced for as long as llama.cpp may call it.
    """
    import llama_cpp

    @llama_cpp.ggml_abort_callback
    def abort(data: Any) -> bool:
        return stopped.is_set()

    return abort


def _watch(llm: Any, callback: Any) -> None:
    """Have llama.cpp call `callback` at every step of its computation (None: stop)."""
    import llama_cpp

    null = llama_cpp.ggml_abort_callback()
    llama_cpp.llama_set_abort_callback(llm.ctx, callback or null, None)
