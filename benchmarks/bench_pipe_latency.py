"""`streamcli bench` (pipeline mode) for the pipe sinks, this checkout against another commit.

    .venv/bin/python benchmarks/bench_pipe_latency.py --before REF [--rounds 3]

Runs `streamcli bench --sink text` and `--sink jsonl` (the synthetic source into a real
pipe drained by a reader) at 50 and 1,000 chunks/s and flooded, for this checkout and
for REF, interleaved round by round so load changes hit both alike, and prints the
median over rounds of the per-chunk latency percentiles (arrival to the end of the write
that carried it), the write calls and, flooded, chunks per second.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from checkouts import checkouts

LOADS = {
    "50/s": ["--rate", "50", "--chunks", "250"],
    "1000/s": ["--rate", "1000", "--chunks", "3000"],
}
FLOOD = ["--chunks", "100000"]


def bench(tree_argv: list[str], options: dict[str, object]) -> dict:
    """One `streamcli bench ... --json` run; its `bench_sink` object."""
    done = subprocess.run([*tree_argv, "--json"], capture_output=True, check=True, **options)
    (item,) = [
        obj
        for line in done.stdout.splitlines()
        if (obj := orjson.loads(line))["type"] == "bench_sink"
    ]
    if item["status"] != 0:
        raise RuntimeError(f"bench exited {item['status']}")
    return item


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", metavar="REF", default="HEAD~1")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    trees = checkouts(args.before)
    loads = {**LOADS, "flood": FLOOD}
    results: dict[tuple[str, str, str], list[dict]] = {}
    for _ in range(args.rounds):
        for load, load_args in loads.items():
            for sink in ("text", "jsonl"):
                for tree in trees:
                    argv = tree.argv("bench", "--sink", sink, *load_args)
                    item = bench(argv, tree.run_options())
                    results.setdefault((load, sink, tree.label), []).append(item)
    print(f"streamcli bench, pipe sinks; median of {args.rounds} rounds\n")
    print(
        f"{'load':<7} {'sink':<6} {'streamcli':<22} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8}"
        f" {'writes':>8} {'chunks/s':>10}"
    )
    for (load, sink, label), items in results.items():

        def median(*path: str, items: list[dict] = items) -> float:
            values = []
            for item in items:
                value = item
                for key in path:
                    value = value[key]
                values.append(value)
            return statistics.median(values)

        print(
            f"{load:<7} {sink:<6} {label:<22} {median('latency_ms', 'p50'):>8.2f}"
            f" {median('latency_ms', 'p90'):>8.2f} {median('latency_ms', 'p99'):>8.2f}"
            f" {median('writes'):>8,.0f} {median('chunks_per_s'):>10,.0f}"
        )


if __name__ == "__main__":
    main()
