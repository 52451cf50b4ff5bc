"""What pipeline mode's measuring costs: each sink with and without `TimedSink`.

    python benchmarks/bench_pipeline_overhead.py [--chunks 200000] [--rounds 5]

Runs the synthetic flood through every sink, into the same pty or pipe `streamcli bench`
uses, once bare and once wrapped the way `streamcli bench` wraps it, interleaved, and
reports the median CPU time of the pump thread (where the wrapper runs; CPU time because
wall time on a shared machine is too noisy for a difference this small) and the
difference. The wrapper notes one time per
frame; the per-chunk latencies are computed after the run, outside the timing.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time

from streamcli.bench.pipeline_mode import SINKS, TimedSink, sink_target
from streamcli.bench.synthetic import ChunkSizes, SyntheticConfig, SyntheticSource
from streamcli.pipeline import Pipeline
from streamcli.sinks import OutputOptions, choose_sink


def once(kind: str, config: SyntheticConfig, measured: bool) -> float:
    source = SyntheticSource(config)
    with sink_target(kind) as (env, _):
        sink = choose_sink(env, OutputOptions(json=kind == "jsonl"))
        if measured:
            sink = TimedSink(sink, time.perf_counter)
        start = time.thread_time()
        status = Pipeline(source, sink, stderr=io.StringIO()).run()
        seconds = time.thread_time() - start
    assert status == 0
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    config = SyntheticConfig(chunks=args.chunks, sizes=ChunkSizes(16, 16))
    print(f"{args.chunks:,} chunks of 16 bytes, flooded; median of {args.rounds} rounds")
    print(f"{'sink':<10}{'bare CPU s':>11}{'measured':>10}{'difference':>12}")
    for kind in SINKS:
        bare, measured = [], []
        for i in range(args.rounds):  # alternate which goes first
            for wrapped in (False, True) if i % 2 == 0 else (True, False):
                (measured if wrapped else bare).append(once(kind, config, wrapped))
        b, m = statistics.median(bare), statistics.median(measured)
        print(f"{kind:<10}{b:>11.3f}{m:>10.3f}{(m - b) / b * 100:>+11.1f}%")


if __name__ == "__main__":
    main()
