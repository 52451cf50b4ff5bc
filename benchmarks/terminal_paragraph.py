"""One long paragraph on a terminal: does the cost grow with the answer, or faster?

    python benchmarks/terminal_paragraph.py [--events 100000 1000000] [--before REF]

A recording of one Markdown paragraph, `--events` text events of a word each (the shape
`lines` breaks it with a single newline every dozen words, a soft break inside the same
paragraph; `one-line` never does), is replayed at full speed (`streamcli replay FILE
--speed 0`) into a 100x30 pseudo-terminal whose output is drained as fast as it comes.
Reported per checkout and size: wall seconds, CPU seconds (user + system) and peak memory
(GNU time), and CPU microseconds per event: linear work keeps that figure flat as the
paragraph grows. `--before REF` runs another commit's streamcli in the same run.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from checkouts import checkouts

from streamcli import events

GNU_TIME = "/usr/bin/time"
COLUMNS, ROWS = 100, 30
WORDS = ["stream", " tokens", " arrive", " quickly", ",", " and", " the", " answer", " grows"]


def make_recording(path: Path, count: int, shape: str) -> None:
    with open(path, "wb") as f:
        f.write(events.encode(events.start(0.0, "chat", provider="bench", model="m")))
        batch = bytearray()
        for i in range(count):
            word = WORDS[i % len(WORDS)]
            if shape == "lines" and i % 12 == 11:
                word += "\n"
            batch += events.encode(events.text(round(i * 1e-5, 6), word))
            if len(batch) > 1 << 20:
                f.write(batch)
                batch = bytearray()
        f.write(batch)
        f.write(events.encode(events.end(round(count * 1e-5, 6), "stop")))


def run_in_pty(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, float]:
    """Run `argv` in a pty under GNU time: (wall seconds, CPU seconds, peak MB)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    with tempfile.NamedTemporaryFile("r") as report:
        started = time.perf_counter()
        process = subprocess.Popen(
            [GNU_TIME, "-f", "%M %U %S", "-o", report.name, *argv],
            stdin=subprocess.DEVNULL,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
        os.close(slave)

        def drain() -> None:
            while True:
                try:
                    if not os.read(master, 1 << 16):
                        return
                except OSError:
                    return

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        process.wait()
        elapsed = time.perf_counter() - started
        reader.join(5)
        os.close(master)
        peak, user, system = report.read().split()[-3:]
    return elapsed, float(user) + float(system), int(peak) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--shape", choices=["one-line", "lines"], nargs="+")
    parser.add_argument("--before", metavar="REF", help="also run this commit's streamcli")
    args = parser.parse_args()
    shapes = args.shape or ["one-line", "lines"]
    skip = ("NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES", "TTY_INTERACTIVE")
    base = {k: v for k, v in os.environ.items() if k not in skip} | {"TERM": "xterm-256color"}
    print(f"{'streamcli':<10} {'shape':<9} {'events':>10} {'wall s':>8} {'CPU s':>8}", end="")
    print(f" {'µs/event':>9} {'peak MB':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for shape in shapes:
            for count in args.events:
                path = Path(tmp, f"{shape}-{count}.jsonl")
                make_recording(path, count, shape)
                for tree in checkouts(args.before):
                    argv = tree.argv("replay", str(path), "--speed", "0")
                    wall, cpu, peak = run_in_pty(argv, tree.env(base), tree.path)
                    print(
                        f"{tree.label:<10} {shape:<9} {count:>10,} {wall:>8.1f} {cpu:>8.1f}"
                        f" {cpu / count * 1e6:>9.1f} {peak:>8.1f}",
                        flush=True,
                    )
                path.unlink()


if __name__ == "__main__":
    main()
