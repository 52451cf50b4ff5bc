"""A flood: a writer appends 200,000 lines/s for 5 s while streamcli tail follows.

    .venv/bin/python benchmarks/tail_flood.py [--rate N] [--seconds S] [--before REF]

First, 200,000 lines appended at once (`--at-once`) to a file followed with `tail -n 0`
into a pipe with a fast reader: how many `write` calls the follower made until the last
line came out (the kernel's count, `syscw` in /proc/PID/io; target of issue 14: at most
2,000). Then the sustained flood:

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
import select
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
sys.path.insert(0, str(ROOT / "benchmarks"))
from checkouts import checkouts  # noqa: E402

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


def line(i: int) -> bytes:
    return b"2026-11-21T07:00:00Z INFO flood seq=%d payload=abcdefghijklmnopqrstuvwxyz\n" % i


def write_calls(pid: int) -> int:
    """The write system calls process `pid` has made so far (Linux)."""
    for entry in Path(f"/proc/{pid}/io").read_text().splitlines():
        if entry.startswith("syscw:"):
            return int(entry.split()[1])
    raise RuntimeError("no syscw in /proc/PID/io")


def at_once(argv: list[str], lines: int, options: dict[str, object]) -> tuple[int, float]:
    """Append `lines` lines in one go to a followed file; the follower's write calls
    until the last one came out, and how long that took (seconds)."""
    with tempfile.TemporaryDirectory() as directory:
        log = Path(directory) / "flood.log"
        log.write_bytes(b"")
        proc = subprocess.Popen(
            [*argv, "-n", "0", str(log)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            **options,
        )
        out = proc.stdout.fileno()
        try:
            seen = b""
            while b"ready" not in seen:  # the follower is following
                with open(log, "ab") as file:
                    file.write(b"ready\n")
                if select.select([out], [], [], 0.2)[0]:
                    seen += os.read(out, 1 << 16)
            time.sleep(0.2)
            while select.select([out], [], [], 0.05)[0]:
                os.read(out, 1 << 16)
            before = write_calls(proc.pid)
            data = b"".join(line(i) for i in range(lines))
            last = b"seq=%d " % (lines - 1)
            started = time.monotonic()
            with open(log, "ab") as file:
                file.write(data)
            tail = b""
            while last not in tail:
                chunk = os.read(out, 1 << 16)
                if not chunk:
                    raise RuntimeError(f"{argv[:4]} stopped early")
                tail = (tail + chunk)[-200:]
            elapsed = time.monotonic() - started
            return write_calls(proc.pid) - before, elapsed
        finally:
            proc.kill()
            proc.wait()


def follow(
    name: str,
    argv: list[str],
    rate: int,
    seconds: float,
    *,
    read_delay: float = 0.0,
    terminal: bool = False,
    options: dict[str, object] | None = None,
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
                [*argv, "-n", "+1", str(log)],
                stdout=slave,
                stderr=subprocess.DEVNULL,
                **(options or {}),
            )
            os.close(slave)
            out = master
        else:
            proc = subprocess.Popen(
                [*argv, "-n", "+1", str(log)],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                **(options or {}),
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
    parser.add_argument("--at-once", type=int, default=200_000, help="lines in one append")
    parser.add_argument("--runs", type=int, default=3, help="of the at-once append")
    parser.add_argument("--before", metavar="REF", help="also run this commit's streamcli")
    args = parser.parse_args()
    trees = checkouts(args.before)

    print(f"{args.at_once:,} lines appended at once, followed into a pipe (median of {args.runs})")
    print(f"  {'follower':38} {'write calls':>11} {'lines/write':>11} {'last out s':>10}")
    for tree in trees:
        for flags in ([], ["--json"]):
            argv = tree.argv("tail", *flags)
            results = [at_once(argv, args.at_once, tree.run_options()) for _ in range(args.runs)]
            writes = sorted(w for w, _ in results)[len(results) // 2]
            seconds = sorted(s for _, s in results)[len(results) // 2]
            name = " ".join([tree.label, "tail", *flags])
            print(
                f"  {name:38} {writes:>11,} {args.at_once / max(writes, 1):>11,.0f}"
                f" {seconds:>10.2f}",
                flush=True,
            )

    total = int(args.rate * args.seconds)
    modes: list[tuple[str, list[str], dict]] = []
    for tree in trees:
        options = {"options": tree.run_options()}
        modes += [
            (f"{tree.label} --json, fast reader", tree.argv("tail", "--json"), options),
            (f"{tree.label} text, fast reader", tree.argv("tail"), options),
            (
                f"{tree.label} --json, slow reader",
                tree.argv("tail", "--json"),
                {**options, "read_delay": 0.02},
            ),
        ]
    terminal_sink = (ROOT / "streamcli" / "sinks" / "terminal.py").exists()
    if terminal_sink:
        modes.append(("terminal (pty)", [*STREAMCLI, "tail"], {"terminal": True}))
    print(f"\nwriter: {args.rate:,} lines/s for {args.seconds:g} s ({total:,} lines;")
    print("slow reader: 64 KiB every 20 ms)\n")
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
            f"{(run.last_seq + 1) / elapsed:9,.0f} {lag:>7} {rss:>15}",
            flush=True,
        )
    if not terminal_sink:
        print("\nterminal mode: not measured, streamcli/sinks/terminal.py has not landed yet")


if __name__ == "__main__":
    main()
