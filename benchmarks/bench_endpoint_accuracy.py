"""How close `streamcli bench`'s timestamps are to the truth, at 1, 16 and 64 streams.

    python benchmarks/bench_endpoint_accuracy.py [--streams 1,16,64] [--rounds 3]

A server in another process (`scheduled_sse_server.py`) answers every request with the
first token after 200 ms and a chunk every 20 ms, and logs when it wrote each chunk. For
every chunk, *lag* = the client's timestamp − the server's write time (both on
CLOCK_MONOTONIC); TTFT error = the first chunk's lag, ICL error = the difference of two
consecutive lags (both with the loopback's few microseconds, which are real latency).
Side by side: streamcli's transport with the kernel's receive timestamps (the default
over plain HTTP on Linux), the same transport timing reads in `data_received`
("read-time", what it does over TLS), and the baseline: httpx.AsyncClient with the same
decoder, timing each chunk `aiter_raw` yields. Target: TTFT and ICL within 2 ms of the
truth at 64 streams.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path

import orjson

from streamcli.bench.endpoint_mode import LoadOptions, run_endpoint, summarize
from streamcli.bench.measure import RequestRecord
from streamcli.bench.percentiles import summarize as stats
from streamcli.sources.chat.protocols.openai import OpenAI
from streamcli.sources.chat.protocols.reply import open_reply
from streamcli.sources.chat.request import ChatRequest

SERVER = Path(__file__).with_name("scheduled_sse_server.py")
TTFT, GAP, CHUNKS = 0.2, 0.02, 20


def start_server() -> tuple[subprocess.Popen, str]:
    args = [sys.executable, str(SERVER), "--ttft", str(TTFT), "--gap", str(GAP)]
    process = subprocess.Popen(
        [*args, "--chunks", str(CHUNKS)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    line = process.stdout.readline().decode()
    return process, f"http://127.0.0.1:{line.split()[1]}/v1"


def stop_server(process: subprocess.Popen) -> dict[int, dict]:
    """The server's log by request index (the x-request-id header ends with it)."""
    out, _ = process.communicate(timeout=30)
    items = map(orjson.loads, out.splitlines())
    return {int(item["id"].rsplit("-", 1)[1]): item for item in items}


def run_streamcli(url: str, streams: int, kernel: bool = True) -> list[RequestRecord]:
    load = LoadOptions(requests=2 * streams, concurrency=streams, warmup=streams)
    request = ChatRequest.from_prompt("hi", model="m")
    run = run_endpoint(OpenAI(url), request, load, kernel_timestamps=kernel)
    assert summarize(run.records)["errors"] == 0
    return [r for r in run.records if not r.warmup]


def run_httpx(url: str, streams: int) -> list[RequestRecord]:
    return asyncio.run(_httpx(url, streams))


async def _httpx(url: str, streams: int) -> list[RequestRecord]:
    import httpx

    provider = OpenAI(url)
    call = provider.chat_call(ChatRequest.from_prompt("hi", model="m"))
    body = orjson.dumps(call.body)
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    records: list[RequestRecord] = []
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:

        async def one(index: int, warmup: bool) -> None:
            record = RequestRecord(index, warmup=warmup)
            decoder = provider.decoder()
            headers = {**call.headers, "content-type": "application/json"}
            headers["x-request-id"] = f"httpx-{index}"
            record.sent = time.perf_counter()
            async with client.stream("POST", call.url, content=body, headers=headers) as resp:
                reply = open_reply(resp.headers.get("content-type"), "sse", decoder)
                async for chunk in resp.aiter_raw():
                    t = time.perf_counter()
                    before = decoder.outputs
                    reply.feed(chunk, t, [])
                    if decoder.outputs > before:
                        record.outputs.append(t)
                        record.counts.append(decoder.outputs - before)
            records.append(record)

        async def worker(indices: range, warmup: bool) -> None:
            for i in indices:
                await one(i, warmup)

        await asyncio.gather(*(worker(range(w, w + 1), True) for w in range(streams)))
        await asyncio.gather(
            *(worker(range(1000 + 2 * w, 1002 + 2 * w), False) for w in range(streams))
        )
    return [r for r in records if not r.warmup]


def errors(records: list[RequestRecord], log: dict[int, dict]) -> dict:
    lags, ttft_err, icl_err, ttft, icl = [], [], [], [], []
    for record in records:
        writes = log[record.index]["writes"]
        if len(record.outputs) != len(writes):
            raise SystemExit(f"request {record.index}: {len(record.outputs)} reads, merged?")
        lag = [c - s for c, s in zip(record.outputs, writes, strict=True)]
        lags += lag
        ttft_err.append(lag[0])
        icl_err += [b - a for a, b in pairwise(lag)]
        ttft.append(record.outputs[0] - record.sent)
        icl += [b - a for a, b in pairwise(record.outputs)]
    return {"lag": lags, "ttft_err": ttft_err, "icl_err": icl_err, "ttft": ttft, "icl": icl}


CLIENTS = {
    "streamcli": run_streamcli,
    "read-time": lambda url, streams: run_streamcli(url, streams, kernel=False),
    "httpx": run_httpx,
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--streams", default="1,16,64")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(
        f"{os.cpu_count()} CPUs; server: first chunk {TTFT * 1000:.0f} ms, then every "
        f"{GAP * 1000:.0f} ms, {CHUNKS} chunks; times in ms"
    )
    print(
        f"{'':<26}{'lag (client - server)':>23}{'|TTFT error|':>24}{'|ICL error|':>24}"
        f"{'measured':>20}"
    )
    print(
        f"{'client':<10}{'streams':>8}{'chunks':>8}"
        f"{'p50':>9}{'p99':>7}{'max':>7}{'p50':>10}{'p99':>7}{'max':>7}"
        f"{'p50':>10}{'p99':>7}{'max':>7}{'TTFT mean':>11}{'ICL p50':>9}"
    )
    for streams in (int(s) for s in args.streams.split(",")):
        for client in CLIENTS:
            rows = []
            for _ in range(args.rounds):
                process, url = start_server()
                try:
                    records = CLIENTS[client](url, streams)
                except BaseException:
                    process.kill()
                    raise
                log = stop_server(process)
                rows.append(errors(records, log))
            show(client, streams, rows)


def show(client: str, streams: int, rows: list[dict]) -> None:
    """All rounds pooled: lag percentiles, and the absolute TTFT and ICL errors."""
    pooled = {key: [v for row in rows for v in row[key]] for key in rows[0]}
    lag = stats(pooled["lag"], 1000)
    ttft_err = stats((abs(v) for v in pooled["ttft_err"]), 1000)
    icl_err = stats((abs(v) for v in pooled["icl_err"]), 1000)
    ttft = stats(pooled["ttft"], 1000)
    icl = stats(pooled["icl"], 1000)
    print(
        f"{client:<10}{streams:>8}{lag.count:>8}"
        f"{lag.p50:>9.3f}{lag.p99:>7.3f}{lag.max:>7.3f}"
        f"{ttft_err.p50:>10.3f}{ttft_err.p99:>7.3f}{ttft_err.max:>7.3f}"
        f"{icl_err.p50:>10.3f}{icl_err.p99:>7.3f}{icl_err.max:>7.3f}"
        f"{ttft.mean:>11.3f}{icl.p50:>9.3f}"
    )


if __name__ == "__main__":
    main()
