"""Replay throughput: `streamcli replay --speed 0` against `jq -c .` on the same recording.

    python benchmarks/replay_throughput.py [--events 1000000] [--runs 3] [--before REF]

Runs every command on the same file, interleaved, several times, and reports the median
wall time, the ratio to jq and the peak memory. Targets (issue 2): `replay --json` and
`replay` (text) each at most 0.6x jq's time; peak memory independent of the file's size;
the text writer at most one write per frame under a flood. `--before REF` adds another
commit's streamcli to the same run.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from checkouts import checkouts

from streamcli import events
from streamcli.pipeline import Pipeline
from streamcli.sinks.text import TextSink
from streamcli.sources.replay.source import ReplayOptions, open_replay

GNU_TIME = "/usr/bin/time"
WORDS = ["Hello", " world", ", ", "the", " quick", " brown", "é", "日本", " 🦀", "\n", "`x`"]

BARE_LOOP = """
import sys, orjson
out = sys.stdout.buffer
buffer = bytearray()
with open(sys.argv[1], "rb") as f:
    for line in f:
        buffer += orjson.dumps(orjson.loads(line), option=orjson.OPT_APPEND_NEWLINE)
        if len(buffer) > 65536:
            out.write(buffer)
            buffer = bytearray()
out.write(buffer)
"""


def make_recording(path: Path, count: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    with open(path, "wb") as f:
        f.write(events.encode(events.start(0.0, "chat", provider="bench", model="m")))
        batch = bytearray()
        for i in range(count):
            batch += events.encode(events.text(round(i * 0.00001, 6), rng.choice(WORDS)))
            if len(batch) > 1 << 20:
                f.write(batch)
                batch = bytearray()
        f.write(batch)
        f.write(events.encode(events.end(round(count * 0.00001, 6), "stop")))


def timed(argv: list[str], options: dict[str, object] | None = None) -> tuple[float, float, float]:
    """Run `argv` with stdout to /dev/null; return (seconds, peak RSS in MB, CPU seconds).

    CPU seconds (user + system, from GNU time) are what a shared machine disturbs least.

    The peak memory comes from GNU time (`/usr/bin/time -f %M`): Linux carries a parent's
    peak into a child it forks, so measuring from this (large) process would floor every
    figure at this process's own size.
    """
    with tempfile.NamedTemporaryFile("r") as report, open(os.devnull, "wb") as devnull:
        started = time.perf_counter()
        subprocess.run(
            [GNU_TIME, "-f", "%M %U %S", "-o", report.name, *argv],
            stdout=devnull,
            check=True,
            **(options or {}),
        )
        elapsed = time.perf_counter() - started
        peak, user, system = report.read().split()[-3:]
        return elapsed, int(peak) / 1024, float(user) + float(system)


def writes_per_frame(path: Path) -> tuple[int, int]:
    """Frames and stdout writes of the text sink replaying `path` at full speed."""
    source = open_replay(str(path), sys.stdin.buffer, ReplayOptions(speed=0))
    with open(os.devnull, "wb") as devnull:
        sink = TextSink(devnull, io.StringIO(), sanitize_output=False, terminal=False)
        pipeline = Pipeline(source, sink)
        pipeline.run()
    return pipeline.frame.frames, sink.output.writes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before", metavar="REF", help="also run this commit's streamcli")
    args = parser.parse_args()
    if shutil.which("jq") is None or not os.path.exists(GNU_TIME):
        raise SystemExit("needs jq (the baseline) and GNU time: apt install jq time")

    replay = ["replay", "--speed", "0"]
    trees = checkouts(args.before)
    with tempfile.TemporaryDirectory() as tmp:
        big, small = Path(tmp, "big.jsonl"), Path(tmp, "small.jsonl")
        make_recording(big, args.events)
        make_recording(small, args.events // 10)
        commands: dict[str, tuple[list[str], dict[str, object]]] = {
            "jq -c .": (["jq", "-c", "."], {}),
            "bare orjson loop": ([sys.executable, "-c", BARE_LOOP], {}),
        }
        for tree in trees:
            commands[f"{tree.label} replay --json"] = (
                tree.argv(*replay, "--json"),
                tree.run_options(),
            )
            commands[f"{tree.label} replay (text)"] = (tree.argv(*replay), tree.run_options())
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        memory: dict[str, float] = {}
        for _ in range(args.runs):
            for name, (argv, options) in commands.items():
                seconds, rss, cpu_seconds = timed([*argv, str(big)], options)
                times[name].append(seconds)
                cpu[name].append(cpu_seconds)
                memory[name] = max(memory.get(name, 0.0), rss)
        small_memory = {
            name: timed([*commands[name][0], str(small)], commands[name][1])[1]
            for name in commands
            if name.startswith(trees[0].label)
        }
        frames, writes = writes_per_frame(big)
        size_mb = big.stat().st_size / 1e6

    jq = statistics.median(times["jq -c ."])
    print(f"{args.events:,} text events (~{size_mb:.0f} MB), median of {args.runs} runs\n")
    jq_cpu = statistics.median(cpu["jq -c ."])
    print(f"{'command':<36} {'seconds':>8} {'x jq':>6} {'CPU s':>6} {'x jq':>6} {'peak MB':>8}")
    for name in commands:
        median, median_cpu = statistics.median(times[name]), statistics.median(cpu[name])
        print(
            f"{name:<36} {median:>8.2f} {median / jq:>6.2f} {median_cpu:>6.2f}"
            f" {median_cpu / jq_cpu:>6.2f} {memory[name]:>8.1f}"
        )
    print("\npeak memory with a file ten times smaller (constant memory means no growth):")
    for name, rss in small_memory.items():
        print(
            f"  {name:<34} {rss:>6.1f} MB at {args.events // 10:,} events,"
            f" {memory[name]:>6.1f} MB at {args.events:,}"
        )
    print(
        f"\ntext writer under a flood: {writes} writes in {frames} frames"
        f" ({'at most one per frame' if writes <= frames else 'MORE than one per frame'})"
    )


if __name__ == "__main__":
    main()
