"""Live Markdown rendering: streamcli's terminal sink against rich Live + Markdown.

    python benchmarks/terminal_render.py [--size 45000] [--rate 1000] [--chunk 3] [--runs 1]

A 45 KB Markdown answer (headings, paragraphs, lists, code, tables) arrives as a
recording on stdin, 3 characters per event, 1,000 events per second, paced by this
script, and each program draws it into a 100x30 pseudo-terminal whose output is drained
as fast as a terminal would:

- streamcli: `streamcli replay - --speed 0` (the terminal sink);
- baseline: what the popular Python tools do, in its most favourable form: rich `Live`
  refreshing 20 times a second a renderable that renders `Markdown(whole answer so far)`
  (the answer is only appended to between frames, never parsed per chunk).

Reported per program: CPU time (user + system, from wait4) as a percentage of one core
over the run, bytes written to the terminal per byte of Markdown, and the time from the
last chunk to the final screen (the last byte of output). Targets (issue 3): streamcli at
most 25 % of a core (aim 10 %), at least 10x less CPU than the baseline, at most 5 bytes
per byte of text (aim 3), final screen within 0.8 s of the last chunk. After each run the
output is replayed into a terminal emulator (pyte) to check that the answer's last line
is on the final screen.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import random
import re
import statistics
import struct
import subprocess
import sys
import termios
import threading
import time
from dataclasses import dataclass

import orjson

COLUMNS, ROWS = 100, 30

BASELINE = r"""
import sys
import orjson
from rich.console import Console
from rich.live import Live
from rich.markdown import Markdown


class Answer:
    def __init__(self):
        self.parts = []

    def __rich_console__(self, console, options):
        yield Markdown("".join(self.parts))


answer = Answer()
with Live(answer, console=Console(), refresh_per_second=20):
    for line in sys.stdin.buffer:
        event = orjson.loads(line)
        if event.get("type") == "text":
            answer.parts.append(event["text"])
"""

# The same renderable on a clock that really asks for 20 frames a second: rich's Live
# sleeps 1/20 s *after* each refresh, so a slow render lowers its frame rate; here a frame
# is due every 50 ms and a late one follows at once.
BASELINE_CLOCKED = r"""
import sys
import threading
import time
import orjson
from rich.console import Console
from rich.live import Live
from rich.markdown import Markdown


class Answer:
    def __init__(self):
        self.parts = []

    def __rich_console__(self, console, options):
        yield Markdown("".join(self.parts))


answer = Answer()
done = threading.Event()


def read():
    for line in sys.stdin.buffer:
        event = orjson.loads(line)
        if event.get("type") == "text":
            answer.parts.append(event["text"])
    done.set()


threading.Thread(target=read, daemon=True).start()
with Live(answer, console=Console(), auto_refresh=False) as live:
    due = time.monotonic()
    while not done.is_set():
        live.refresh()
        due += 0.05
        done.wait(max(0.0, due - time.monotonic()))
"""

_SENTENCE = (
    "the stream renders markdown blocks quickly while tokens arrive from a model over http "
    "and every frame costs little time because only the last block is parsed again"
)
WORDS = _SENTENCE.split(" ")


def make_answer(size: int, seed: int = 3) -> str:
    """A Markdown answer of `size` characters, shaped like an LLM's."""
    rng = random.Random(seed)

    def sentence() -> str:
        words = [rng.choice(WORDS) for _ in range(rng.randint(8, 16))]
        words[rng.randrange(len(words))] = f"**{rng.choice(WORDS)}**"
        words[rng.randrange(len(words))] = f"`{rng.choice(WORDS)}()`"
        return " ".join(words).capitalize() + "."

    parts: list[str] = []
    total = 0
    section = 0
    while total < size:
        section += 1
        pieces = [
            f"## Section {section}: {rng.choice(WORDS)} and {rng.choice(WORDS)}\n\n",
            " ".join(sentence() for _ in range(4)) + "\n\n",
            "".join(f"- {sentence()}\n" for _ in range(5)) + "\n",
            "```python\n"
            + "".join(
                f"def step_{section}_{i}(chunk):\n    return render(chunk, width={i * 10})"
                f"  # {rng.choice(WORDS)}\n"
                for i in range(5)
            )
            + "```\n\n",
            "| name | value | note |\n|------|------:|------|\n"
            + "".join(
                f"| item {i} | {rng.randint(0, 9999)} | {rng.choice(WORDS)} |\n" for i in range(5)
            )
            + "\n",
            "1. " + sentence() + "\n2. " + sentence() + "\n\n",
            " ".join(sentence() for _ in range(3)) + "\n\n",
        ]
        for piece in pieces:
            parts.append(piece)
            total += len(piece)
    text = "".join(parts)[:size]
    return text[: text.rfind("\n") + 1] if "\n" in text else text


def recording_lines(answer: str, chunk: int) -> list[bytes]:
    lines = [orjson.dumps({"type": "start", "t": 0.0, "v": 1, "source": "chat"}) + b"\n"]
    for i in range(0, len(answer), chunk):
        event = {"type": "text", "t": round(i / chunk * 0.001, 6), "text": answer[i : i + chunk]}
        lines.append(orjson.dumps(event) + b"\n")
    return lines


@dataclass
class Result:
    cpu: float  # seconds, user + system
    wall: float  # seconds from start to exit
    written: int  # bytes to the terminal
    final_delay: float  # seconds from the last chunk to the last byte of output
    redraws: int  # frames that moved the cursor up to redraw the live part
    last_line_shown: bool
    status: int


def run(argv: list[str], lines: list[bytes], rate: float, last_line: str) -> Result:
    """Run `argv` in a 100x30 pty, feed `lines` on stdin at `rate` lines/s, measure."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    skip = ("NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES", "COLORTERM", "TTY_INTERACTIVE")
    env = {k: v for k, v in os.environ.items() if k not in skip}
    env["TERM"] = "xterm-256color"
    read_end, write_end = os.pipe()
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, stdin=read_end, stdout=slave, stderr=slave, env=env, start_new_session=True
    )
    os.close(slave)
    os.close(read_end)
    output = bytearray()
    last_output = [started]

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 1 << 16)
            except OSError:
                return
            if not data:
                return
            output.extend(data)
            last_output[0] = time.perf_counter()

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    head, body = lines[0], lines[1:]
    os.write(write_end, head)
    sent = 0
    begin = time.perf_counter()
    while sent < len(body):
        due = min(len(body), int((time.perf_counter() - begin) * rate) + 1)
        if due > sent:
            os.write(write_end, b"".join(body[sent:due]))
            sent = due
        time.sleep(0.0005)
    last_chunk = time.perf_counter()
    end = {"type": "end", "t": round(len(body) / rate, 6), "reason": "stop"}
    os.write(write_end, orjson.dumps(end) + b"\n")
    os.close(write_end)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    reader.join(10)
    os.close(master)
    return Result(
        cpu=usage.ru_utime + usage.ru_stime,
        wall=wall,
        written=len(output),
        final_delay=max(0.0, last_output[0] - last_chunk),
        redraws=output.count(b"\x1b[?2026h") + output.count(b"\r\x1b[2K"),
        last_line_shown=_last_line_on_screen(bytes(output), last_line),
        status=os.waitstatus_to_exitcode(status),
    )


def _last_line_on_screen(output: bytes, last_line: str) -> bool:
    """Replay the output into a terminal emulator: is the answer's last line on screen?"""
    import pyte

    screen = pyte.Screen(COLUMNS, ROWS)
    screen.set_mode(pyte.modes.LNM)
    pyte.ByteStream(screen).feed(output)
    words = re.findall(r"\w+", last_line)[-3:]  # a table row's pipes become spacing
    pattern = re.compile(r"\W+".join(map(re.escape, words)))
    return any(pattern.search(row) for row in screen.display)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=45_000, help="answer size in characters")
    parser.add_argument("--rate", type=float, default=1000, help="chunks per second")
    parser.add_argument("--chunk", type=int, default=3, help="characters per chunk")
    parser.add_argument("--runs", type=int, default=1, help="runs of each program")
    parser.add_argument(
        "--clocked",
        action="store_true",
        help="also run the baseline on a clock that really asks for 20 frames a second",
    )
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="also measure streamcli's start-up and its pipeline with the plain text sink",
    )
    args = parser.parse_args()

    answer = make_answer(args.size)
    lines = recording_lines(answer, args.chunk)
    last_line = answer.rstrip("\n").rsplit("\n", 1)[-1]
    text_bytes = len(answer.encode())
    streamcli = [sys.executable, "-m", "streamcli", "replay", "-", "--speed", "0"]
    programs = {"streamcli": streamcli, "rich Live": [sys.executable, "-c", BASELINE]}
    if args.clocked:
        programs["20 fps clock"] = [sys.executable, "-c", BASELINE_CLOCKED]
    print(
        f"{text_bytes:,} bytes of Markdown, {len(lines) - 1:,} chunks of {args.chunk} "
        f"characters at {args.rate:,.0f}/s into a {COLUMNS}x{ROWS} pty; {args.runs} run(s) each"
    )
    results: dict[str, list[Result]] = {name: [] for name in programs}
    for _ in range(args.runs):
        for name, argv in programs.items():  # interleaved, so all see the same machine
            result = run(argv, lines, args.rate, last_line)
            if result.status != 0:
                raise SystemExit(f"{name} failed with status {result.status}")
            results[name].append(result)

    def median(name: str, value) -> float:
        return statistics.median(value(r) for r in results[name])

    rows = [
        ("CPU, % of one core", lambda r: 100 * r.cpu / r.wall, "{:.1f}"),
        ("CPU seconds", lambda r: r.cpu, "{:.2f}"),
        ("wall seconds", lambda r: r.wall, "{:.2f}"),
        ("bytes written per byte of text", lambda r: r.written / text_bytes, "{:.2f}"),
        ("last chunk to final screen, s", lambda r: r.final_delay, "{:.3f}"),
        ("frames that redrew the screen", lambda r: r.redraws, "{:.0f}"),
        ("CPU ms per redrawn frame", lambda r: 1000 * r.cpu / max(r.redraws, 1), "{:.1f}"),
    ]
    print("\n" + " " * 34 + "".join(f"{name:>14}" for name in programs))
    for label, value, fmt in rows:
        cells = "".join(f"{fmt.format(median(name, value)):>14}" for name in programs)
        print(f"{label:34}{cells}")
    shown = "".join(f"{all(r.last_line_shown for r in results[n])!s:>14}" for n in programs)
    print(f"{'last line on the final screen':34}{shown}")
    ours = median("streamcli", lambda r: r.cpu)
    others = [name for name in programs if name != "streamcli"]
    ratios = {name: median(name, lambda r: r.cpu) / ours for name in others}
    for name, ratio in ratios.items():
        print(f"CPU ratio, {name} / streamcli: {ratio:.1f}x")

    if args.breakdown:
        empty = [lines[0]]
        startup = statistics.median(
            run(streamcli, empty, args.rate, "").cpu for _ in range(args.runs)
        )
        plain = statistics.median(
            run([*streamcli, "--plain"], lines, args.rate, last_line).cpu for _ in range(args.runs)
        )
        print(
            f"\nstreamcli's CPU seconds: start-up {startup:.2f} (an empty stream), pipeline and "
            f"replay {plain - startup:.2f} (the same stream into the plain text sink), "
            f"terminal rendering about {ours - plain:.2f}"
        )

    cpu = median("streamcli", rows[0][1])
    ratio_bytes = median("streamcli", rows[3][1])
    delay = median("streamcli", rows[4][1])
    ratio = ratios["rich Live"]
    checks = [
        (f"streamcli CPU {cpu:.1f} % of a core (target <= 25 %, aim 10 %)", cpu <= 25),
        (f"{ratio:.1f}x less CPU than rich Live (target >= 10x)", ratio >= 10),
        (f"{ratio_bytes:.2f} bytes per byte of text (target <= 5, aim 3)", ratio_bytes <= 5),
        (f"final screen {delay:.3f} s after the last chunk (target <= 0.8 s)", delay <= 0.8),
        (
            "the answer's last line is on the final screen",
            all(r.last_line_shown for r in results["streamcli"]),
        ),
    ]
    print()
    for label, ok in checks:
        print(f"{'ok  ' if ok else 'MISS'} {label}")


if __name__ == "__main__":
    main()
