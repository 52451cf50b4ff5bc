"""The local provider in-process against the same model behind llama-cpp-python's server.

    python benchmarks/local_vs_server.py [--runs 5] [--tokens 256] [--model PATH]

Needs the `local` extra and, for the baseline only, `pip install 'llama-cpp-python[server]'`.
Side by side, alternating run by run, on the same GGUF (default: the bundled Gemma 3 270M)
with greedy decoding of a prompt that keeps counting (a new run number in front each
time), so both sides generate exactly `--tokens` tokens:

- local: `streamcli chat --provider local --json`, the model loaded in the process;
- server: `python -m llama_cpp.server` (started once, model loaded once, 8192-token
  context like the local provider, Gemma's chat format: the GGUF has no template), read
  through `streamcli chat --provider openai --json`.

Both use llama-cpp-python's default thread count. Per run: decode rate (tokens after the
first / time from the first to the last text event, on the source's clock), TTFT as the
source reports it (request or generation start → first text; excludes loading), and the
wall time from launching streamcli to the first text line in its stdout (includes Python's
start-up and, for local, loading the model). Medians of `--runs` runs after one warm-up.
"""

from __future__ import annotations

import argparse
import io
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson

COUNTING = "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,"
STREAMCLI = [sys.executable, "-m", "streamcli", "chat"]


@dataclass
class Run:
    tokens: int  # text events (one per token on both sides)
    decode_tps: float
    ttft_ms: float
    launch_to_first_ms: float
    wall_s: float


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(model: Path) -> tuple[subprocess.Popen[bytes], str, float]:
    port = free_port()
    started = time.monotonic()
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "llama_cpp.server", "--model", str(model)),
            *("--port", str(port), "--n_ctx", "8192", "--chat_format", "gemma"),
            *("--verbose", "false"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/v1"
    deadline = started + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/models", timeout=1).status_code == 200:
                return process, url, time.monotonic() - started
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("llama_cpp.server did not start (pip install 'llama-cpp-python[server]')")


def run_chat(args: list[str], tokens: int, env: dict[str, str], run: int) -> Run:
    # A new prompt every run: the server keeps the last prompt's evaluation and would
    # otherwise answer a repeated one without reading it again.
    common = [f"Run {run}. {COUNTING}", "--json", "--temperature", "0", "--seed", "1"]
    launched = time.monotonic()
    process = subprocess.Popen(
        [*STREAMCLI, *args, *common, "--max-tokens", str(tokens)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        env=env,
    )
    first_arrival = None
    events = []
    assert process.stdout is not None
    for line in process.stdout:
        event = orjson.loads(line)
        if event["type"] == "text" and first_arrival is None:
            first_arrival = time.monotonic()
        events.append(event)
    status = process.wait()
    wall = time.monotonic() - launched
    texts = [e for e in events if e["type"] == "text"]
    end = events[-1] if events else {}
    if status != 0 or len(texts) < 2 or end.get("type") != "end":
        raise SystemExit(f"streamcli {' '.join(args)} failed ({status}): {events[-2:]}")
    span = texts[-1]["t"] - texts[0]["t"]
    return Run(
        tokens=len(texts),
        decode_tps=(len(texts) - 1) / span,
        ttft_ms=end["ttft_ms"],
        launch_to_first_ms=(first_arrival - launched) * 1000,
        wall_s=wall,
    )


def median(runs: list[Run], field: str) -> float:
    return statistics.median(getattr(run, field) for run in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=256)
    parser.add_argument("--model", type=Path, help="a GGUF file (default: the bundled model)")
    options = parser.parse_args()

    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env["XDG_DATA_HOME"] = tempfile.mkdtemp()  # no benchmark chats in the user's history
    if options.model is None:
        from streamcli.sources.chat.local.bundled import bundled_model

        options.model = bundled_model(os.environ, io.StringIO())
    server, url, server_start = start_server(options.model)
    sides = {
        "local (in-process)": ["--provider", "local", "--model", str(options.model)],
        "llama_cpp.server via openai": ["--provider", "openai", "--base-url", url, "-m", "m"],
    }
    results: dict[str, list[Run]] = {name: [] for name in sides}
    try:
        for args in sides.values():  # warm-up: page cache, server's first request
            run_chat(args, 16, env, 0)
        for run in range(1, options.runs + 1):
            for name, args in sides.items():
                results[name].append(run_chat(args, options.tokens, env, run))
    finally:
        server.terminate()
        server.wait(30)

    print(
        f"model {options.model.name}, {options.tokens} tokens per run, "
        f"median of {options.runs} runs, {os.cpu_count()} CPUs; "
        f"server start-up (load) {server_start:.2f} s, once"
    )
    header = ("", "tokens", "decode tok/s", "TTFT ms", "launch→first token ms", "wall s")
    rows = [
        (
            name,
            f"{median(runs, 'tokens'):.0f}",
            f"{median(runs, 'decode_tps'):.1f}",
            f"{median(runs, 'ttft_ms'):.0f}",
            f"{median(runs, 'launch_to_first_ms'):.0f}",
            f"{median(runs, 'wall_s'):.2f}",
        )
        for name, runs in results.items()
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in
                        enumerate(zip(row, widths, strict=True))))  # fmt: skip
    for name, runs in results.items():
        rates = ", ".join(f"{run.decode_tps:.0f}" for run in runs)
        ttfts = ", ".join(f"{run.ttft_ms:.0f}" for run in runs)
        print(f"{name}: per run, decode tok/s {rates}; TTFT ms {ttfts}")


if __name__ == "__main__":
    main()
