"""A flood: a writer appends 200,000 lines/s for 5 s while streamcli tail follows.

    .venv/bin/python benchmarks/tail_flood.py [--rate N] [--seconds S]

For each output mode the table shows the writer's real rate, the lines delivered, the
follower's throughput, how long after the writer stopped the last line came out (lag),
and the follower's resident memory (min / max of samples every 100 ms after the first
second: flat means bounded). A slow reader shows the back-pressure: the follower falls
behind on disk, not in memory. The terminal mode needs the live terminal sink
(`streamcli/sinks/terminal.py`); without it that row says so.
"""

from __future__ import annotations

import argparse
import os
import pty
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

STREAMCLI = [sys.executable, "-m", "streamcli"]
ROOT = Path(__file__).resolve().parent.parent
SEQ = re.compile(rb"seq=(-?\d+)")

WRITER = r"""
import os, sys, time
path, rate, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
fd = os.open(path, os.O_WRONLY | os.O_APPEND)
total, batch, seq = int(rate * seconds), max(rate // 200, 1), 0
start = time.perf_counter()
while seq < total:
    delay = start + seq / rate - time.perf_counter()
    if delay > 0:
        time.sleep(delay)
    n = min(batch, total - seq)
    os.write(fd, b"".join(
        b"2026-11-21T07:00:00Z INFO flood seq=%d payload=abcdefghijklmnopqrstuvwxyz\n" % i
        for i in range(seq, seq + n)))
    seq += n
print(time.perf_counter() - start, time.monotonic())
"""


@dataclass
class Run:
    name: str
    received: int = 0  # newline-terminated output lines
    last_seq: int = -1
    first_at: float = 0.0
    last_at: float = 0.0
    rss_kb: list[int] = field(default_factory=list)


def follow(
    name: str,
    argv: list[str],
    rate: int,
    seconds: float,
    *,
    read_delay: float = 0.0,
    terminal: bool = False,
) -> tuple[Run, float, float]:
    """Run one follower through the flood.

    Returns the run, the writer's duration and when it stopped (`time.monotonic`, which
    is the same clock in every process on Linux).
    """
    run = Run(name)
    with tempfile.TemporaryDirectory() as directory:
        log = Path(directory) / "flood.log"
        log.write_bytes(b"ready seq=-1\n")
        if terminal:
            master, slave = pty.openpty()
            os.set_blocking(master, True)
            proc = subprocess.Popen(
                [*argv, "-n", "+1", str(log)], stdout=slave, stderr=subprocess.DEVNULL
            )
            os.close(slave)
            out = master
        else:
            proc = subprocess.Popen(
                [*argv, "-n", "+1", str(log)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
            )
            out = proc.stdout.fileno()
        total = int(rate * seconds)
        done = threading.Event()
        ready = threading.Event()

        def read() -> None:
            tail = b""
            while not done.is_set():
                try:
                    chunk = os.read(out, 1 << 16)
                except OSError:
                    return
                if not chunk:
                    return
                now = time.monotonic()
                run.received += chunk.count(b"\n")
                tail = (tail + chunk)[-300:]
                found = SEQ.findall(tail)
                if found:
                    if run.last_seq < 0 <= int(found[-1]):
                        run.first_at = now
                    run.last_seq = int(found[-1])
                    run.last_at = now
                    ready.set()
                    if run.last_seq == total - 1:
                        done.set()
                if read_delay:
                    time.sleep(read_delay)

        def sample() -> None:
            while not done.wait(0.1):
                try:
                    status = Path(f"/proc/{proc.pid}/status").read_text()
                except OSError:
                    return
                for line in status.splitlines():
                    if line.startswith("VmRSS:"):
                        run.rss_kb.append(int(line.split()[1]))

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        if not ready.wait(30):
            raise TimeoutError(f"{name} did not start")
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        writer = subprocess.run(
            [sys.executable, "-c", WRITER, str(log), str(rate), str(seconds)],
            capture_output=True,
            text=True,
            check=True,
        )
        writer_seconds, stopped = map(float, writer.stdout.split())
        done.wait(30 if not read_delay else 3)
        done.set()
        proc.kill()
        proc.wait()
        if terminal:
            os.close(out)
        return run, writer_seconds, stopped


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=200_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    total = int(args.rate * args.seconds)
    modes: list[tuple[str, list[str], dict]] = [
        ("--json, fast reader", [*STREAMCLI, "tail", "--json"], {}),
        ("text, fast reader", [*STREAMCLI, "tail"], {}),
        (
            "--json, slow reader (64 KiB / 20 ms)",
            [*STREAMCLI, "tail", "--json"],
            {"read_delay": 0.02},
        ),
    ]
    terminal_sink = (ROOT / "streamcli" / "sinks" / "terminal.py").exists()
    if terminal_sink:
        modes.append(("terminal (pty)", [*STREAMCLI, "tail"], {"terminal": True}))
    print(f"writer: {args.rate:,} lines/s for {args.seconds:g} s ({total:,} lines)\n")
    print(
        f"{'mode':38} {'writer/s':>9} {'delivered':>10} {'lines/s':>9} "
        f"{'lag s':>7} {'RSS MB min-max':>15}"
    )
    for name, argv, options in modes:
        run, writer_seconds, stopped = follow(name, argv, args.rate, args.seconds, **options)
        delivered = f"{run.last_seq + 1:,}"
        elapsed = max(run.last_at - run.first_at, 1e-9)
        lag = f"{run.last_at - stopped:7.2f}" if run.last_seq == total - 1 else "behind"
        steady = run.rss_kb[10:] or run.rss_kb
        rss = f"{min(steady) / 1024:.0f}-{max(steady) / 1024:.0f}" if steady else "-"
        print(
            f"{name:38} {total / writer_seconds:9,.0f} {delivered:>10} "
            f"{(run.last_seq + 1) / elapsed:9,.0f} {lag:>7} {rss:>15}"
        )
    if not terminal_sink:
        print("\nterminal mode: not measured, streamcli/sinks/terminal.py has not landed yet")


if __name__ == "__main__":
    main()
