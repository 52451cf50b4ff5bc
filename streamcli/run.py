"""The command line's front end: a stream shown on the terminal or written to stdout.

`show` picks the sink for stdout (`choose_sink`), adds the taps the output flags ask for
(`--record`, `--stats`) to the source's own, and runs the pipeline with the command line's
policy: SIGTERM and SIGHUP end the stream like Ctrl-C, and a reader of stdout that went
away (`| head`) leaves stdout pointing at /dev/null. One-shot commands (`run_stream`,
`run_chat`) and a session's turns all go through it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, BinaryIO

from streamcli import errors
from streamcli.capped import PROMPT_LIMIT, read_capped
from streamcli.env import Environment
from streamcli.errors import BadInput, StreamcliError
from streamcli.events import Event
from streamcli.pipeline import Pipeline
from streamcli.sinks import OutputOptions, choose_sink
from streamcli.stream import Screen, Sink, Source

if TYPE_CHECKING:
    from streamcli.sources.chat.flags import ChatFlags


class FailedSource(Source):
    """A stream that could not start: it ends at once with its error."""

    def __init__(self, name: str, error: StreamcliError) -> None:
        self.name = name
        self.error = error

    def batches(self) -> Iterator[list[Event]]:
        raise self.error
        yield []  # pragma: no cover - makes this a generator


def show(
    source: Source,
    env: Environment,
    options: OutputOptions,
    *,
    taps: Sequence[Sink] = (),
    recording: BinaryIO | None = None,
    screen: Screen | None = None,
    wrap: Callable[[Sink], Sink] | None = None,
) -> int:
    """Stream `source` to the sink for stdout (`wrap`ped, if given), to its own taps, to
    `taps`, to `recording` (`--record`, opened by the caller) and to `--stats`; the exit
    status. The display is lent to questions through `screen`."""
    sink = choose_sink(env, options, source)
    if wrap is not None:
        sink = wrap(sink)
    every = [*source.taps, *taps]
    if recording is not None:
        from streamcli.sinks.jsonl import JsonlSink

        every.append(JsonlSink(recording, label="the recording"))
    if options.stats:
        from streamcli.sinks.stats import StatsTap

        every.append(StatsTap(env.stderr, time.monotonic if source.recorded else None))
    pipeline = Pipeline(
        source,
        sink,
        every,
        stderr=env.stderr,
        screen=screen,
        signals=True,
        on_output_closed=errors.silence_stdout,
    )
    return pipeline.run()


def open_recording(
    options: OutputOptions, inputs: Sequence[str] = (), stdin: BinaryIO | None = None
) -> BinaryIO | None:
    """The `--record` file, opened for writing (None without the flag); `BadInput` if it
    cannot be, or if it is a file being read (one of `inputs`, or `stdin`): opening it
    would empty it first."""
    if options.record is None:
        return None
    read = _being_read(options.record, inputs, stdin)
    if read is not None:
        raise BadInput(
            f"--record {options.record}: that is {read}; recording into it would empty it first"
        )
    try:
        return open(options.record, "wb")
    except OSError as exc:
        raise BadInput(
            f"cannot write the recording {options.record}: {exc.strerror or exc}"
        ) from None


def _being_read(
    path: str | os.PathLike[str], inputs: Sequence[str], stdin: BinaryIO | None
) -> str | None:
    """What `path` is, if it is a file being read: one of `inputs`, or `stdin`."""
    try:
        record = os.stat(path)
    except OSError:
        return None  # not there yet: nothing reads it
    for name in inputs:
        with contextlib.suppress(OSError):
            if os.path.samestat(record, os.stat(name)):
                return "the file being read"
    if stdin is not None:
        with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
            if os.path.samestat(record, os.fstat(stdin.fileno())):
                return "the file on stdin"
    return None


def run_stream(
    name: str,
    open_source: Callable[[], Source],
    env: Environment,
    options: OutputOptions,
    screen: Screen | None = None,
) -> int:
    """Open the source `name` and `show` it; the exit status.

    A source that cannot be opened (a `StreamcliError`) is reported like any failure: the
    error line on stderr, or the `error` event with `--json`; so is a `--record` file that
    cannot be written.
    """
    try:
        source = open_source()
    except StreamcliError as exc:
        source = FailedSource(name, exc)
    except KeyboardInterrupt:  # while opening (preparing or loading a local model)
        return errors.INTERRUPTED
    try:
        recording = open_recording(options, source.inputs, env.stdin)
    except BadInput as exc:
        unrecorded = dataclasses.replace(options, record=None, stats=False)
        return show(FailedSource(source.name, exc), env, unrecorded)
    try:
        return show(source, env, options, recording=recording, screen=screen)
    finally:
        if recording is not None:
            with contextlib.suppress(OSError):  # already reported by the pipeline
                recording.close()


def run_chat(flags: ChatFlags, words: list[str], env: Environment, options: OutputOptions) -> int:
    """`streamcli chat PROMPT`: one answer, shown, stored in the history; the exit status."""
    from streamcli.history.conversation import open_conversation
    from streamcli.sources.chat.chat import Chat
    from streamcli.sources.chat.request import join_prompt
    from streamcli.tools.approval import TerminalApprover

    chats: list[Chat] = []
    screen = Screen()

    def open_answer() -> Source:
        prompt = join_prompt(words, read_piped(env))
        if not prompt.strip():
            raise BadInput(
                'nothing to ask: give a prompt (streamcli chat "…") or pipe text on stdin'
            )
        chat = Chat.open(flags, env.environ, notices=env.stderr)
        chats.append(chat)
        conversation = open_conversation(
            flags.continue_last, flags.conversation, flags.no_history, env.environ
        )
        chat.continuing(conversation, flags)
        answer = chat.answer(
            prompt,
            earlier=conversation.earlier,
            conversation=conversation,
            approver=TerminalApprover(screen),
            stderr=env.stderr,
            progress=env.stderr_isatty and not env.dumb_terminal,
        )
        return answer.source

    try:
        return run_stream("chat", open_answer, env, options, screen)
    finally:
        for chat in chats:  # the MCP servers it started
            chat.close()


def read_piped(env: Environment) -> str | None:
    """What was piped on stdin (None when stdin is a terminal)."""
    if env.stdin_isatty or env.stdin_closed:
        return None
    try:
        data = read_capped(env.stdin, PROMPT_LIMIT, "the text piped on stdin")
    except (OSError, ValueError):  # closed or not readable: nothing was piped
        return None
    text = data.decode("utf-8", "replace")
    return text[1:] if text.startswith("\ufeff") else text
