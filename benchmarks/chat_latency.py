"""`streamcli chat` speed against a local fake server, side by side with baselines.

    .venv/bin/python benchmarks/chat_latency.py [--runs 40] [--chunks 20000] [--before REF]

0. Every token: a stream of `--tokens` tokens at `--rate` tokens/s (50 by default); for
   each token, the time from the server writing it to the read that brought it out of
   streamcli's stdout (a pipe), pooled over `--token-runs` streams, next to a bare Python
   loop and curl, and with `--before REF` another commit's streamcli. Target (issue 14):
   median ≤ 1 ms.
1. First token: the time from the server's first byte of the answer to the first byte on
   streamcli's stdout (a pipe), median and p99 over `--runs` runs, next to a bare Python
   loop (httpx + the same parsing, written straight to stdout) and curl. Target: ≤ 5 ms.
2. Throughput: a 20,000-chunk stream read with `--json` (the chat source, the pipeline and
   the JSON-lines sink, in process, into /dev/null) next to a bare loop that only reads
   and parses the same stream. The server runs in its own process.
3. Start-up: `streamcli --version` and `streamcli chat --help` next to
   `python -c "import typer"`, and whether they import httpx, rich.markdown or Pygments.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import orjson  # noqa: E402
from checkouts import Checkout, checkouts  # noqa: E402
from servers import FakeServer, Pause, Reply  # noqa: E402
from servers import openai as oa  # noqa: E402

PYTHON = sys.executable
CLEAN_ENV = {
    k: v
    for k, v in os.environ.items()
    if not k.startswith(("OPENAI_", "ANTHROPIC_", "OLLAMA_", "STREAMCLI_"))
    and "PROXY" not in k.upper()
}
CLEAN_ENV.update(
    NO_PROXY="*", XDG_CONFIG_HOME=tempfile.mkdtemp(), XDG_DATA_HOME=tempfile.mkdtemp()
)  # no user config read, no benchmark chats in the user's history

BARE_CLIENT = r"""
import os, sys, httpx, orjson
url = sys.argv[1]
body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True}
out = sys.stdout.buffer
with httpx.Client(timeout=None) as client, client.stream("POST", url, json=body) as response:
    held = b""
    for chunk in response.iter_bytes():
        *lines, held = (held + chunk).split(b"\n")
        for line in lines:
            if line.startswith(b"data: {"):
                delta = orjson.loads(line[6:])["choices"]
                if delta and delta[0]["delta"].get("content"):
                    out.write(delta[0]["delta"]["content"].encode())
                    out.flush()
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# -- 0. every token ---------------------------------------------------------------------

TOKEN = re.compile(rb"w(\d+) ")


def paced_reply(tokens: int, rate: float) -> Reply:
    """The role chunk, then token k ("wK ") 1/rate seconds after token k-1, then the end."""
    body: list[object] = [Pause(0.2), oa.event(oa.chunk("", role="assistant"))]
    for k in range(tokens):
        body += [Pause(1 / rate), oa.event(oa.chunk(f"w{k} "))]
    body += [oa.event(oa.chunk(finish="stop")), b"data: [DONE]\n\n"]
    return oa.sse(body)


def token_delays(
    server: FakeServer, command: list[str], tokens: int, **options: object
) -> list[float]:
    """Run `command`; for each token, seconds from the server's write of it to the read
    from stdout that completed it."""
    before = len(server.received())
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **options
    )
    assert process.stdout is not None
    arrived: dict[int, float] = {}
    held = b""
    while chunk := os.read(process.stdout.fileno(), 65536):
        now = time.monotonic()
        held += chunk
        end = 0
        for found in TOKEN.finditer(held):
            arrived.setdefault(int(found.group(1)), now)
            end = found.end()
        held = held[end:]
    process.communicate(timeout=30)
    if process.returncode != 0 or len(arrived) != tokens:
        raise RuntimeError(f"{command[:4]}: status {process.returncode}, {len(arrived)} tokens")
    received = server.received()[before]
    received.finished.wait(5)
    writes = [at for at, _ in received.writes][1 : 1 + tokens]  # after the role chunk
    return [arrived[k] - at for k, at in enumerate(writes)]


def every_token(
    runs: int, tokens: int, rate: float, trees: list[Checkout]
) -> list[tuple[str, list[float]]]:
    with FakeServer() as server:
        server.route(oa.PATH, paced_reply(tokens, rate), method="POST")
        url = server.url + "/v1"
        chat = ["chat", "hi", "-m", "m", "-p", "openai", "--base-url", url]
        commands: dict[str, tuple[list[str], dict[str, object]]] = {}
        for tree in trees:
            options = tree.run_options(CLEAN_ENV)
            commands[f"{tree.label} chat"] = (tree.argv(*chat), options)
            commands[f"{tree.label} chat --json"] = (tree.argv(*chat, "--json"), options)
        commands["bare httpx loop"] = (
            [PYTHON, "-c", BARE_CLIENT, url + "/chat/completions"],
            {"env": CLEAN_ENV},
        )
        commands["curl -N (raw bytes)"] = (
            ["curl", "-sN", "-X", "POST", "-d", "{}", url + "/chat/completions"],
            {"env": CLEAN_ENV},
        )
        results: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(runs):  # interleaved, so load changes hit every row alike
            for name, (command, options) in commands.items():
                results[name] += token_delays(server, command, tokens, **options)
    return list(results.items())


# -- 1. first token ---------------------------------------------------------------------


def first_token_reply() -> Reply:
    first = oa.event(oa.chunk("A", role="assistant"))
    rest = [oa.event(oa.chunk(finish="stop")), b"data: [DONE]\n\n"]
    return oa.sse([Pause(0.25), first, Pause(0.05), *rest])  # the client waits when A is sent


def first_byte_delay(server: FakeServer, command: list[str], marker: bytes = b"") -> float:
    """Run `command`; seconds from the server writing the first token to the first byte of
    it on stdout (with `marker`: to the read that brought the marker, e.g. a text event)."""
    before = len(server.received())
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=CLEAN_ENV,
    )
    assert process.stdout is not None
    seen = b""
    while True:
        chunk = os.read(process.stdout.fileno(), 65536)
        arrived = time.monotonic()
        seen += chunk
        if not chunk or marker in seen:
            break
    process.communicate(timeout=30)
    if not seen or process.returncode != 0:
        raise RuntimeError(f"{command[:4]} failed ({process.returncode})")
    received = server.received()[before]
    received.finished.wait(5)
    return arrived - received.writes[0][0]


def first_token(runs: int) -> list[tuple[str, list[float]]]:
    with FakeServer() as server:
        server.route(oa.PATH, first_token_reply(), method="POST")
        url = server.url + "/v1"
        commands = {
            "streamcli chat": [
                PYTHON,
                "-m",
                "streamcli",
                "chat",
                "hi",
                "-m",
                "m",
                "-p",
                "openai",
                "--base-url",
                url,
            ],
            "streamcli chat --json": [
                PYTHON,
                "-m",
                "streamcli",
                "chat",
                "hi",
                "-m",
                "m",
                "-p",
                "openai",
                "--base-url",
                url,
                "--json",
            ],
            "bare httpx loop": [PYTHON, "-c", BARE_CLIENT, url + "/chat/completions"],
            "curl -N (raw bytes)": [
                "curl",
                "-sN",
                "-X",
                "POST",
                "-d",
                "{}",
                url + "/chat/completions",
            ],
        }
        markers = {"streamcli chat --json": b'"type":"text"'}
        results: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(runs):  # interleaved, so load changes hit every row alike
            for name, command in commands.items():
                delay = first_byte_delay(server, command, markers.get(name, b""))
                results[name].append(delay)
    return list(results.items())


# -- 2. throughput ------------------------------------------------------------------------


def throughput_body(chunks: int) -> list[bytes]:
    events = [oa.event(oa.chunk("", role="assistant"))]
    events += [oa.event(oa.chunk(f"tok{i % 97} ")) for i in range(chunks)]
    events += [
        oa.event(oa.chunk(finish="stop")),
        oa.event(oa.usage_chunk(5, chunks)),
        b"data: [DONE]\n\n",
    ]
    return events


def serve(chunks: int, coalesce: bool, conn: multiprocessing.connection.Connection) -> None:
    """The server process: answer every request with the big stream until told to stop."""
    body = throughput_body(chunks)
    if coalesce:  # 64 KiB writes: the server is never the bottleneck
        joined = b"".join(body)
        body = [joined[i : i + 65536] for i in range(0, len(joined), 65536)]
    with FakeServer() as server:
        server.route(oa.PATH, oa.sse(body), method="POST")
        conn.send(server.url)
        conn.recv()


def streamcli_run(url: str, chunks: int) -> float:
    from streamcli.pipeline import Pipeline
    from streamcli.sinks.jsonl import JsonlSink
    from streamcli.sources.chat.protocols.provider import provider_class
    from streamcli.sources.chat.request import ChatRequest
    from streamcli.sources.chat.source import ChatSource

    provider = provider_class("openai")(url + "/v1")
    with open(os.devnull, "wb") as devnull:
        started = time.perf_counter()
        source = ChatSource(provider, ChatRequest.from_prompt("hi", model="m"))
        sink = JsonlSink(devnull)
        status = Pipeline(source, sink).run()
        elapsed = time.perf_counter() - started
    if status != 0:
        raise RuntimeError(f"streamcli exited {status}")
    return elapsed


def bare_run(url: str, chunks: int) -> float:
    import httpx

    started = time.perf_counter()
    count = 0
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    with (
        httpx.Client(timeout=None) as client,
        client.stream("POST", url + "/v1/chat/completions", json=body) as response,
    ):
        held = b""
        for chunk in response.iter_bytes():
            *lines, held = (held + chunk).split(b"\n")
            for line in lines:
                if line.startswith(b"data: {"):
                    choices = orjson.loads(line[6:])["choices"]
                    if choices and choices[0]["delta"].get("content"):
                        count += 1
    elapsed = time.perf_counter() - started
    if count != chunks:
        raise RuntimeError(f"bare loop saw {count} chunks")
    return elapsed


def throughput(chunks: int, repeats: int, coalesce: bool) -> dict[str, float]:
    context = multiprocessing.get_context("fork")
    ours, theirs = context.Pipe()
    process = context.Process(target=serve, args=(chunks, coalesce, theirs), daemon=True)
    process.start()
    url = ours.recv()
    times: dict[str, list[float]] = {"streamcli": [], "bare": []}
    try:
        streamcli_run(url, chunks)  # warm up imports and the server
        for _ in range(repeats):
            times["streamcli"].append(streamcli_run(url, chunks))
            times["bare"].append(bare_run(url, chunks))
    finally:
        ours.send("stop")
        process.join(5)
    return {name: statistics.median(values) for name, values in times.items()}


# -- 3. start-up ------------------------------------------------------------------------


def startup(runs: int) -> list[tuple[str, float, float, str]]:
    commands = {
        'python -c "import typer"': [PYTHON, "-c", "import typer"],
        "streamcli --version": [PYTHON, "-m", "streamcli", "--version"],
        "streamcli chat --help": [PYTHON, "-m", "streamcli", "chat", "--help"],
    }
    rows = []
    for name, command in commands.items():
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run(command, capture_output=True, check=True, env=CLEAN_ENV)
            times.append(time.perf_counter() - started)
        traced = subprocess.run(
            [command[0], "-X", "importtime", *command[1:]],
            capture_output=True,
            text=True,
            env=CLEAN_ENV,
        )
        modules = {
            line.split("|")[-1].strip() for line in traced.stderr.splitlines() if "|" in line
        }
        heavy = [m for m in ("httpx", "rich.markdown", "pygments") if m in modules]
        rows.append((name, statistics.median(times), min(times), ", ".join(heavy) or "none"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=40, help="first-token runs per client")
    parser.add_argument("--chunks", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=5, help="throughput repeats")
    parser.add_argument("--startup-runs", type=int, default=20)
    parser.add_argument("--tokens", type=int, default=100, help="tokens per paced stream")
    parser.add_argument("--rate", type=float, default=50.0, help="tokens/s of that stream")
    parser.add_argument("--token-runs", type=int, default=3, help="paced streams per client")
    parser.add_argument("--before", metavar="REF", help="also run this commit's streamcli")
    parser.add_argument(
        "--parts", default="tokens,first,throughput,startup", help="which parts to run"
    )
    args = parser.parse_args()
    parts = set(args.parts.split(","))

    if "tokens" in parts:
        print(
            f"Every token: server write → its read from stdout, {args.tokens} tokens at "
            f"{args.rate:g}/s, {args.token_runs} streams per client"
        )
        print(f"  {'client':<32} {'median':>9} {'p99':>9} {'max':>9}")
        trees = checkouts(args.before)
        for name, values in every_token(args.token_runs, args.tokens, args.rate, trees):
            ms = [v * 1000 for v in values]
            median, p99 = statistics.median(ms), percentile(ms, 0.99)
            print(f"  {name:<32} {median:6.2f} ms {p99:6.2f} ms {max(ms):6.2f} ms", flush=True)
        print()
    if "first" in parts:
        print(f"First token: server's first byte → first byte on stdout ({args.runs} runs)")
        print(f"  {'client':<24} {'median':>9} {'p99':>9} {'min':>9}")
        for name, values in first_token(args.runs):
            ms = [v * 1000 for v in values]
            median, p99 = statistics.median(ms), percentile(ms, 0.99)
            print(f"  {name:<24} {median:7.2f} ms {p99:6.2f} ms {min(ms):6.2f} ms")

    for coalesce in (True, False) if "throughput" in parts else ():
        label = "64 KiB writes" if coalesce else "one write per event"
        result = throughput(args.chunks, args.repeats, coalesce)
        print(f"\nThroughput: {args.chunks:,} chunks, {label} (median of {args.repeats})")
        for name, seconds in result.items():
            rate = args.chunks / seconds
            print(f"  {name:<24} {seconds * 1000:8.1f} ms {rate:10,.0f} chunks/s")
        print(f"  ratio streamcli / bare loop: {result['streamcli'] / result['bare']:.2f}")

    if "startup" in parts:
        print(f"\nStart-up (median and best of {args.startup_runs})")
        print(f"  {'command':<28} {'median':>9} {'best':>9}  heavy imports")
        for name, median, best, heavy in startup(args.startup_runs):
            print(f"  {name:<28} {median * 1000:6.1f} ms {best * 1000:6.1f} ms  {heavy}")


if __name__ == "__main__":
    main()
