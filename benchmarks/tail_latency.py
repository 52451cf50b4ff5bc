"""Latency from an append to the line on the output, at several rates, side by side.

    .venv/bin/python benchmarks/tail_latency.py [--rates 5,50,200,1000] [--before main]

A writer keeps the log open and appends one line at a time on a fixed schedule (open
loop: the next append does not wait for the last line to come out), at each rate in
lines per second; a reader timestamps every read from the follower's stdout (a pipe).
The latency of a line is the time from just before its append to the read that brought
it. Compared in the same run, one after the other: `streamcli tail -n 0` in text and
`--json`, GNU `tail -F -n 0`, and with `--before REF` the same two streamcli commands of
another commit. Target (issue 14): median ≤ 1 ms and p99 ≤ 5 ms at every rate.
"""

from __future__ import annotations

import argparse
import os
import re
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from checkouts import checkouts

MARKER = re.compile(rb"<(\d+)>")


def measure(
    argv: list[str], log: Path, rate: float, count: int, options: dict[str, object]
) -> list[float]:
    """Milliseconds from each append to the read that brought its line."""
    log.write_bytes(b"")
    proc = subprocess.Popen(
        [*argv, str(log)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, **options
    )
    out = proc.stdout.fileno()
    sent = [0.0] * count
    arrived = [0.0] * count
    try:
        _wait_until_following(out, log)
        with open(log, "ab", buffering=0) as writer:

            def append() -> None:
                start = time.perf_counter() + 0.05
                for i in range(count):
                    delay = start + i / rate - time.perf_counter()
                    if delay > 0:
                        time.sleep(delay)
                    sent[i] = time.perf_counter()
                    writer.write(b"<%d>\n" % i)

            appender = threading.Thread(target=append, daemon=True)
            appender.start()
            seen, held = 0, b""
            deadline = time.monotonic() + count / rate + 30
            while seen < count and time.monotonic() < deadline:
                if not select.select([out], [], [], 1.0)[0]:
                    continue
                data = os.read(out, 1 << 16)
                now = time.perf_counter()
                if not data:
                    break
                lines = (held + data).split(b"\n")
                held = lines.pop()
                for line in lines:
                    if found := MARKER.search(line):
                        arrived[int(found.group(1))] = now
                        seen += 1
            appender.join()
        if seen < count:
            raise RuntimeError(f"{argv[:4]}: {seen} of {count} lines came out")
        return [(a - s) * 1000 for s, a in zip(sent, arrived, strict=True)]
    finally:
        proc.kill()
        proc.wait()


def _wait_until_following(fd: int, log: Path) -> None:
    """Append `<ready>` lines until one comes out: the follower is following."""
    deadline = time.monotonic() + 30
    buffer = b""
    while b"<ready>" not in buffer:
        with open(log, "ab") as file:
            file.write(b"<ready>\n")
        if time.monotonic() > deadline:
            raise TimeoutError("the follower did not start")
        if select.select([fd], [], [], 0.2)[0]:
            buffer += os.read(fd, 1 << 16)
    time.sleep(0.1)
    while select.select([fd], [], [], 0.05)[0]:  # drain the other ready lines
        if not os.read(fd, 1 << 16):
            break


def percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="5,50,200,1000", help="lines per second")
    parser.add_argument("--seconds", type=float, default=3.0, help="per rate and follower")
    parser.add_argument("--min-lines", type=int, default=120, help="per rate and follower")
    parser.add_argument("--before", metavar="REF", help="also run this commit's streamcli")
    args = parser.parse_args()
    followers: list[tuple[str, list[str], dict[str, object]]] = []
    for tree in checkouts(args.before):
        options = tree.run_options()
        followers.append((f"{tree.label} tail", tree.argv("tail", "-n", "0"), options))
        followers.append(
            (f"{tree.label} tail --json", tree.argv("tail", "--json", "-n", "0"), options)
        )
    if shutil.which("tail"):
        followers.append(("GNU tail -F", ["tail", "-F", "-n", "0"], {}))
    header = f"{'lines':>6} {'median ms':>10} {'p99 ms':>8} {'max ms':>8}"
    print(f"{'rate':>9}  {'follower':36} {header}")
    with tempfile.TemporaryDirectory() as directory:
        log = Path(directory) / "app.log"
        for rate in (float(r) for r in args.rates.split(",")):
            count = max(args.min_lines, round(rate * args.seconds))
            for name, argv, options in followers:
                latencies = sorted(measure(argv, log, rate, count, options))
                print(
                    f"{rate:>5g}/s  {name:36} {count:>6} {statistics.median(latencies):10.3f}"
                    f" {percentile(latencies, 0.99):8.3f} {latencies[-1]:8.3f}",
                    flush=True,
                )
            print()


if __name__ == "__main__":
    main()
