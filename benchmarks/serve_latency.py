"""What `streamcli serve` costs a stream, side by side with the upstream it fronts.

    python benchmarks/serve_latency.py [--requests 200] [--concurrency 8] [--streams 1000]
                                       [--local] [--first-burst N [--before REF]]
                                       [--one-at-a-time | --per-cpu N [--before REF]]

1. Added latency: `streamcli bench --url` against benchmarks/scheduled_sse_server.py (in its
   own process: TTFT 100 ms, a chunk every 20 ms) straight, then through `serve`, twice
   each, interleaved; TTFT and inter-chunk percentiles side by side (goal: at most 1 ms
   added at the median).
2. Many slow streams: `--streams` concurrent answers through serve (a chunk every 50 ms,
   5 s each): the events serve delivered per CPU-second of its own process (goal: at
   least 20k), and its memory per open stream (resident memory at the peak, less at rest).
3. Cancel latency: a client hangs up its stream (events API and OpenAI API) while the
   upstream waits to answer; the time from the client's close to the upstream seeing its
   connection closed (one monotonic clock for the processes of one machine).
4. `--local`: the bundled model behind serve: a client hangs up while it writes, and a
   second question is sent at once; how much later its first token comes than when the
   model is idle is how long the model took to stop.
5. `--first-burst N`: N streams at once on a fresh server (nothing imported or connected
   yet), TTFT p50 and p99, three rounds, side by side with `--before REF` when given.
6. `--one-at-a-time`: 200 requests one after another through serve (upstream TTFT 20 ms),
   TTFT p50, four rounds, side by side with `--before REF` when given.
7. `--per-cpu N`: N slow streams at once (as in 2., 40 chunks each), the events serve
   delivered per CPU-second and their TTFT p50, three rounds, side by side with
   `--before REF` when given.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def upstream(ttft: float, gap: float, chunks: int) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [
            PY,
            str(ROOT / "benchmarks" / "scheduled_sse_server.py"),
            "--ttft",
            str(ttft),
            "--gap",
            str(gap),
            "--chunks",
            str(chunks),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    port = process.stdout.readline().split()[1]
    return process, f"http://127.0.0.1:{port}"


def serve(*args: str, home: Path, tree: Path = ROOT) -> tuple[subprocess.Popen[bytes], str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update(XDG_DATA_HOME=str(home), XDG_CONFIG_HOME=str(home), NO_PROXY="*")
    env["PYTHONPATH"] = str(tree)  # which streamcli serves (the client stays this one)
    process = subprocess.Popen(
        [PY, "-m", "streamcli", "serve", "--port", "0", "--no-history", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=home,
    )
    assert process.stdout is not None
    line = process.stdout.readline().decode()
    found = re.search(r"(http://\S+?)/", line)
    assert found, line
    return process, found.group(1)


def bench(url: str, requests: int, concurrency: int) -> dict:
    done = subprocess.run(
        [
            PY,
            "-m",
            "streamcli",
            "bench",
            "--url",
            url + "/v1",
            "-p",
            "openai",
            "-m",
            "m",
            "--requests",
            str(requests),
            "--concurrency",
            str(concurrency),
            "--json",
            "--timeout",
            "120",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_PROXY": "*"},
    )
    for line in done.stdout.splitlines():
        event = json.loads(line)
        if event["type"] == "bench_summary":
            return event
    raise RuntimeError(done.stderr)


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def added_latency(requests: int, concurrency: int, home: Path) -> None:
    print(
        f"1. added latency: {requests} requests, {concurrency} at a time, "
        "TTFT 100 ms, a chunk every 20 ms, 50 chunks"
    )
    source, url = upstream(0.1, 0.02, 50)
    server, served = serve("-p", "openai", "--base-url", url + "/v1", "-m", "m", home=home)
    rows: dict[str, list[dict]] = {"straight": [], "through serve": []}
    try:
        for _ in range(2):
            rows["straight"].append(bench(url, requests, concurrency))
            rows["through serve"].append(bench(served, requests, concurrency))
    finally:
        server.terminate()
        server.wait(10)
        source.communicate("")
    print(f"   {'':16}{'TTFT p50':>10}{'p90':>8}{'ICL p50':>10}{'p90':>8}   ms (two runs each)")
    for name, runs in rows.items():
        for run in runs:
            ttft, icl = run["ttft_ms"], run["icl_ms"]
            print(
                f"   {name:16}{ttft['p50']:10.2f}{ttft['p90']:8.2f}"
                f"{icl['p50']:10.2f}{icl['p90']:8.2f}"
            )
    straight = statistics.median(r["ttft_ms"]["p50"] for r in rows["straight"])
    through = statistics.median(r["ttft_ms"]["p50"] for r in rows["through serve"])
    print(f"   TTFT added at the median: {through - straight:.2f} ms")


def many_streams(streams: int, home: Path) -> None:
    print(f"2. {streams} slow streams at once through serve (a chunk every 50 ms, 100 chunks)")
    source, url = upstream(0.05, 0.05, 100)
    server, served = serve("-p", "openai", "--base-url", url + "/v1", "-m", "m", home=home)
    try:
        time.sleep(0.5)
        resting = rss_mb(server.pid)
        peak = [resting]
        sampling = threading.Event()

        def sample() -> None:
            while not sampling.wait(0.2):
                peak.append(rss_mb(server.pid))

        sampler = threading.Thread(target=sample)
        sampler.start()
        before = cpu_seconds(server.pid)
        summary = bench(served, streams, streams)
        used = cpu_seconds(server.pid) - before
        sampling.set()
        sampler.join()
    finally:
        server.terminate()
        server.wait(10)
        source.communicate("")
    events = summary["output_tokens"] + 2 * summary["completed"]  # chunks, start and end
    print(
        f"   completed {summary['completed']} of {streams} in {summary['duration_s']:.1f} s; "
        f"serve used {used:.2f} CPU-s for {events} events: "
        f"{events / used:,.0f} events per CPU-second"
    )
    per = (max(peak) - resting) * 1024 / streams
    print(
        f"   memory: {resting:.0f} MB at rest, {max(peak):.0f} MB at the peak: "
        f"{per:.0f} KB per open stream"
    )


class Hanger:
    """An upstream that answers with headers, then waits; notes when each client left."""

    def __init__(self) -> None:
        self.asked = 0  # requests read
        self.gone: list[float] = []
        self.port = 0
        self._ready = threading.Event()
        threading.Thread(target=asyncio.run, args=(self._main(),), daemon=True).start()
        self._ready.wait()

    async def _main(self) -> None:
        listener = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = listener.sockets[0].getsockname()[1]
        self._ready.set()
        await asyncio.Event().wait()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = re.search(rb"(?i)content-length:\s*(\d+)", head)
        await reader.readexactly(int(length.group(1)) if length else 0)
        self.asked += 1
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"transfer-encoding: chunked\r\n\r\n"
        )
        await writer.drain()
        await reader.read()  # EOF: the client closed
        self.gone.append(time.monotonic())
        writer.close()


def raw_request(url: str, path: str, body: dict) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    client = socket.create_connection((host, int(port)))
    data = json.dumps(body).encode()
    client.sendall(
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: "
        f"application/json\r\nContent-Length: {len(data)}\r\n\r\n".encode()
        + data
    )
    return client


def cancel_latency(home: Path, tries: int = 20) -> None:
    print(f"3. cancel latency (client close → upstream connection closed), {tries} tries each")
    hanger = Hanger()
    base = f"http://127.0.0.1:{hanger.port}/v1"
    server, served = serve("-p", "openai", "--base-url", base, "-m", "m", home=home)
    bodies = {
        "events API": ("/api/chat", {"prompt": "q"}),
        "OpenAI API": (
            "/v1/chat/completions",
            {"model": "m", "stream": True, "messages": [{"role": "user", "content": "q"}]},
        ),
    }
    try:
        for name, (path, body) in bodies.items():
            took = []
            for _ in range(tries):
                seen, asked = len(hanger.gone), hanger.asked
                client = raw_request(served, path, body)
                while hanger.asked == asked:  # the upstream request is under way
                    time.sleep(0.001)
                time.sleep(0.05)
                closed = time.monotonic()
                client.close()
                deadline = closed + 30
                while len(hanger.gone) == seen and time.monotonic() < deadline:
                    time.sleep(0.0005)
                if len(hanger.gone) == seen:
                    raise RuntimeError(f"{name}: the upstream request stayed open for 30 s")
                took.append((hanger.gone[-1] - closed) * 1000)
            took.sort()
            print(
                f"   {name:12} median {statistics.median(took):.2f} ms, "
                f"p90 {took[int(0.9 * len(took))]:.2f} ms, max {took[-1]:.2f} ms"
            )
    finally:
        server.terminate()
        server.wait(10)


def local_cancel(home: Path, tries: int = 5) -> None:
    print("4. the bundled model: how long it takes to stop once its client hangs up")
    server, served = serve("-p", "local", home=home)

    def first_token(question: str) -> float:
        client = raw_request(
            served,
            "/v1/chat/completions",
            {
                "model": "gemma-3-270m",
                "stream": True,
                "max_tokens": 8,
                "messages": [{"role": "user", "content": question}],
            },
        )
        started = time.monotonic()
        seen = b""
        while b'"content"' not in seen:
            seen += client.recv(65536)
        took = time.monotonic() - started
        client.close()
        return took * 1000

    def story(tokens: int) -> None:
        """A long story asked: whole (`tokens` few), or left after five pieces."""
        long = raw_request(
            served,
            "/v1/chat/completions",
            {
                "model": "gemma-3-270m",
                "stream": True,
                "max_tokens": tokens,
                "messages": [{"role": "user", "content": "Tell a long story."}],
            },
        )
        seen = b""
        while seen.count(b'"content"') < 5 and b"[DONE]" not in seen:
            seen += long.recv(65536)
        if tokens < 100:  # read it to its end
            while b"[DONE]" not in seen:
                seen += long.recv(65536)
        long.close()

    try:
        first_token("warm up")
        idle, after = [], []
        for _ in range(tries):  # the same story before each question: the same cache
            story(5)
            idle.append(first_token("Say hello."))
            story(2000)
            after.append(first_token("Say hello."))
        late = statistics.median(after) - statistics.median(idle)
        print(
            f"   first token after a whole answer {statistics.median(idle):.1f} ms; right "
            f"after a hang-up mid-answer {statistics.median(after):.1f} ms: the model "
            f"stopped within {max(late, 0):.1f} ms"
        )
    finally:
        server.terminate()
        server.wait(10)


def side_by_side(
    before: str | None, url: str, rounds: int, measure: Any, straight: Any = None
) -> dict[str, list]:
    """`measure(served, pid)` against a fresh serve (process `pid`) of this checkout (and
    of REF `before`) in front of the upstream `url`, in turn, `rounds` times: each
    checkout's results (and `straight(url)`'s, under "straight", when given)."""
    from checkouts import checkouts

    trees = checkouts(before)
    rows: dict[str, list] = {tree.label: [] for tree in trees}
    for _ in range(rounds):
        for tree in trees:
            with tempfile.TemporaryDirectory() as home:
                args = ("-p", "openai", "--base-url", url + "/v1", "-m", "m")
                server, served = serve(*args, home=Path(home), tree=tree.path)
                try:
                    rows[tree.label].append(measure(served, server.pid))
                finally:
                    server.terminate()
                    server.wait(10)
    if straight is not None:
        rows["straight"] = [straight(url)]
    return rows


def compared(upstream_at: tuple[float, float, int], before: str | None, rounds: int, measure: Any,
             straight: Any = None) -> dict[str, list]:  # fmt: skip
    """`side_by_side` in front of an upstream (TTFT, gap, chunks) started for it."""
    source, url = upstream(*upstream_at)
    try:
        return side_by_side(before, url, rounds, measure, straight)
    finally:
        source.communicate("")


def first_burst(streams: int, before: str | None, rounds: int = 3) -> None:
    def burst(served: str, pid: int) -> tuple[float, float]:
        ttft = bench(served, streams, streams)["ttft_ms"]
        return ttft["p50"], ttft["p99"]

    rows = compared((0.05, 0.05, 20), before, rounds, burst)
    print(f"5. a fresh server's first burst: {streams} streams at once, {rounds} rounds")
    for label, got in rows.items():
        p50 = ", ".join(f"{a:.0f}" for a, _ in got)
        p99 = ", ".join(f"{b:.0f}" for _, b in got)
        print(f"   {label:20s} TTFT p50 {p50} ms; p99 {p99} ms")


def one_at_a_time(before: str | None, rounds: int = 4) -> None:
    def in_turn(served: str, pid: int = 0) -> float:
        bench(served, 10, 1)  # connections and clients made
        return float(bench(served, 200, 1)["ttft_ms"]["p50"])

    rows = compared((0.02, 0.005, 5), before, rounds, in_turn, straight=in_turn)
    (straight,) = rows.pop("straight")
    print(f"6. one request at a time, TTFT p50 in ms ({rounds} rounds; straight {straight:.2f})")
    for label, got in rows.items():
        each = " ".join(f"{value:.2f}" for value in got)
        print(f"   {label:20s} {each}  (median {statistics.median(got):.2f})")


def per_cpu(streams: int, before: str | None, rounds: int = 3) -> None:
    def events_per_cpu(served: str, pid: int) -> tuple[float, float]:
        bench(served, 20, 20)  # connections and clients made
        used = cpu_seconds(pid)
        summary = bench(served, streams, streams)
        used = cpu_seconds(pid) - used
        events = summary["output_tokens"] + 2 * summary["completed"]
        return events / used, summary["ttft_ms"]["p50"]

    rows = compared((0.05, 0.05, 40), before, rounds, events_per_cpu)
    print(f"7. {streams} slow streams at once: events per CPU-second (TTFT p50), {rounds} rounds")
    for label, got in rows.items():
        each = ", ".join(f"{rate:,.0f} ({ttft:.0f} ms)" for rate, ttft in got)
        print(f"   {label:20s} {each}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--local", action="store_true")
    parser.add_argument("--first-burst", type=int, metavar="N", help="only the first burst")
    parser.add_argument("--one-at-a-time", action="store_true", help="only TTFT, in turn")
    parser.add_argument("--per-cpu", type=int, metavar="N", help="only events per CPU-second")
    parser.add_argument("--before", metavar="REF", help="with the three above: also this commit")
    args = parser.parse_args()
    if args.per_cpu:
        per_cpu(args.per_cpu, args.before)
        return
    if args.first_burst:
        first_burst(args.first_burst, args.before)
        return
    if args.one_at_a_time:
        one_at_a_time(args.before)
        return
    with tempfile.TemporaryDirectory() as home:
        added_latency(args.requests, args.concurrency, Path(home))
        many_streams(args.streams, Path(home))
        cancel_latency(Path(home))
        if args.local:
            local_cancel(Path(home))


if __name__ == "__main__":
    main()
