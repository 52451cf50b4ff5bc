"""Latency from an append to the line on the output, side by side.

    .venv/bin/python benchmarks/tail_latency.py [--appends N] [--gap SECONDS]

A writer keeps the log open and appends one line at a time, `--gap` seconds apart
(longer than a frame, so each line meets the pipeline's leading edge); the time until
that line comes out of the follower's stdout is measured. Compared: streamcli with
inotify, streamcli `--poll` (default interval), and GNU `tail -F`.
"""

from __future__ import annotations

import argparse
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STREAMCLI = [sys.executable, "-m", "streamcli"]


def measure(argv: list[str], log: Path, appends: int, gap: float) -> list[float]:
    """Milliseconds from each append to the moment its line was read from stdout."""
    log.write_bytes(b"")
    proc = subprocess.Popen([*argv, str(log)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = proc.stdout.fileno()
    try:
        buffer = b""
        _read_until(out, b"<ready>", buffer, log)  # the follower is following
        latencies = []
        with open(log, "ab", buffering=0) as writer:
            for i in range(appends):
                time.sleep(gap)
                marker = b"<%d>" % i
                start = time.perf_counter()
                writer.write(marker + b"\n")
                buffer = _read_until(out, marker, b"", None)
                latencies.append((time.perf_counter() - start) * 1000)
        return latencies
    finally:
        proc.kill()
        proc.wait()


def _read_until(fd: int, marker: bytes, buffer: bytes, log: Path | None) -> bytes:
    """Read `fd` until `marker` appears (appending it as a line to `log` meanwhile)."""
    deadline = time.monotonic() + 30
    while marker not in buffer:
        if log is not None:
            with open(log, "ab") as file:
                file.write(b"<ready>\n")
        if time.monotonic() > deadline:
            raise TimeoutError(marker)
        if select.select([fd], [], [], 0.2)[0]:
            buffer += os.read(fd, 1 << 16)
    return buffer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--appends", type=int, default=300)
    parser.add_argument("--gap", type=float, default=0.05)
    args = parser.parse_args()
    followers = {
        "streamcli tail (inotify)": [*STREAMCLI, "tail", "-n", "0"],
        "streamcli tail --json (inotify)": [*STREAMCLI, "tail", "--json", "-n", "0"],
        "streamcli tail --poll (0.25 s)": [*STREAMCLI, "tail", "--poll", "-n", "0"],
        "GNU tail -F": ["tail", "-F", "-n", "0"],
    }
    print(f"{args.appends} appends, {args.gap * 1000:.0f} ms apart\n")
    print(f"{'follower':34} {'median ms':>10} {'p99 ms':>8} {'max ms':>8}")
    with tempfile.TemporaryDirectory() as directory:
        log = Path(directory) / "app.log"
        for name, argv in followers.items():
            if shutil.which(argv[0]) is None:
                print(f"{name}: not installed")
                continue
            latencies = sorted(measure(argv, log, args.appends, args.gap))
            p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
            print(f"{name:34} {statistics.median(latencies):10.3f} {p99:8.3f} {latencies[-1]:8.3f}")


if __name__ == "__main__":
    main()
