"""Running one stream: open the source, pick the sink and the taps, run the pipeline."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator

from streamcli import errors
from streamcli.env import Environment
from streamcli.errors import BadInput, StreamcliError
from streamcli.events import Event
from streamcli.pipeline import Pipeline, Source
from streamcli.sinks import OutputOptions, choose_sink


class FailedSource(Source):
    """A stream that could not start: it ends at once with its error."""

    def __init__(self, name: str, error: StreamcliError) -> None:
        self.name = name
        self.error = error

    def batches(self) -> Iterator[list[Event]]:
        raise self.error
        yield []  # pragma: no cover - makes this a generator


def run_stream(
    name: str, open_source: Callable[[], Source], env: Environment, options: OutputOptions
) -> int:
    """Open the source `name` and pump it to the chosen sink (and to `--record`, `--stats`
    and the source's own taps); return the exit status.

    A source that cannot be opened (a `StreamcliError`) is reported like any failure: the
    error line on stderr, or the `error` event with `--json`.
    """
    try:
        source = open_source()
    except StreamcliError as exc:
        source = FailedSource(name, exc)
    except KeyboardInterrupt:  # while opening (preparing or loading a local model)
        return errors.INTERRUPTED
    sink = choose_sink(env, options, source)
    taps = list(source.taps)
    recording = None
    if options.record is not None:
        try:
            recording = open(options.record, "wb")  # noqa: SIM115 - closed below
        except OSError as exc:
            error = BadInput(f"cannot write the recording {options.record}: {exc.strerror or exc}")
            return Pipeline(FailedSource(source.name, error), sink, stderr=env.stderr).run()
        from streamcli.sinks.jsonl import JsonlSink

        taps.append(JsonlSink(recording, label="the recording"))
    if options.stats:
        from streamcli.sinks.stats import StatsTap

        taps.append(StatsTap(env.stderr, time.monotonic if source.recorded else None))
    try:
        return Pipeline(source, sink, taps, stderr=env.stderr).run()
    finally:
        if recording is not None:
            with contextlib.suppress(OSError):  # already reported by the pipeline
                recording.close()
