"""Running one stream: the sink and the recording tap from the options, then the pipeline."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path

from streamcli.env import Environment
from streamcli.errors import BadInput, StreamcliError
from streamcli.events import Event
from streamcli.pipeline import Pipeline, Source
from streamcli.sinks import OutputOptions, choose_sink
from streamcli.sinks.base import Sink


class FailedSource(Source):
    """A stream that could not start: it ends at once with its error."""

    def __init__(self, name: str, error: StreamcliError) -> None:
        self.name = name
        self.error = error

    def batches(self) -> Iterator[list[Event]]:
        raise self.error
        yield []  # pragma: no cover - makes this a generator


def run_stream(
    source: Source,
    env: Environment,
    options: OutputOptions,
    *,
    record: Path | None = None,
    terminal_output: bool = False,
    taps: Sequence[Sink] = (),
) -> int:
    """Pump `source` to the chosen sink (and to `record` and `taps`); return the exit
    status."""
    sink = choose_sink(env, options, terminal_output=terminal_output)
    taps = list(taps)
    recording = None
    if record is not None:
        try:
            recording = open(record, "wb")  # noqa: SIM115 - closed below, errors ignored
        except OSError as exc:
            error = BadInput(f"cannot write the recording {record}: {exc.strerror or exc}")
            return Pipeline(FailedSource(source.name, error), sink, stderr=env.stderr).run()
        from streamcli.sinks.jsonl import JsonlSink

        taps.append(JsonlSink(recording, label="the recording"))
    if options.stats:
        from streamcli.sinks.stats import StatsTap

        taps.append(StatsTap(env.stderr))
    try:
        return Pipeline(source, sink, taps, stderr=env.stderr).run()
    finally:
        if recording is not None:
            with contextlib.suppress(OSError):  # already reported by the pipeline
                recording.close()
