"""Endpoint mode: load a live LLM endpoint and measure every streamed answer.

The requests are built by the provider (`chat_call`, as `streamcli chat` builds them) and
read with the provider's decoder, over `transport` (one asyncio event loop, no thread per
stream, each read timestamped as it arrives). Warm-up requests run first, with the same
concurrency, and are left out of every figure. A failed request is counted with its kind
and the run goes on.

`summarize` turns the records into the figures `report` shows: TTFT, TPOT, ICL, E2E
statistics over the successful requests, output tokens/s and requests/s over the measured
window (first request written → last request over), and goodput (requests/s meeting every
`--slo`, the DistServe / `vllm bench serve --goodput` definition; TPOT counts as 0 when
N < 2).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from streamcli import errors
from streamcli.bench.calls import Prepared, interrupted
from streamcli.bench.load import arrivals, closed_loop, open_loop
from streamcli.bench.measure import RequestRecord
from streamcli.bench.percentiles import summary_dict
from streamcli.bench.transport import Pool, ResponseHandler, TransportError
from streamcli.errors import BadInput
from streamcli.options import MAX_SECONDS, BadValue, check_number
from streamcli.sources.chat.protocols.provider import Call, Provider
from streamcli.sources.chat.request import ChatRequest

SLO_KEYS = ("ttft", "tpot", "e2e")


@dataclass(frozen=True)
class Slo:
    """Service-level objectives in milliseconds; None: not set."""

    ttft: float | None = None
    tpot: float | None = None
    e2e: float | None = None

    @classmethod
    def parse(cls, spec: str) -> Slo:
        """`ttft=500,tpot=50,e2e=10000` (milliseconds; `:` works as well as `=`)."""
        values: dict[str, float] = {}
        for part in spec.replace(" ", ",").split(","):
            if not part:
                continue
            key, sep, value = part.replace(":", "=").partition("=")
            key = key.strip().lower().removesuffix("_ms")
            if key == "e2el":
                key = "e2e"
            if not sep or key not in SLO_KEYS:
                raise BadInput(f"--slo: expected ttft=MS,tpot=MS,e2e=MS, got {part!r}")
            try:
                number = float(value)
            except ValueError:
                raise BadInput(f"--slo: {key} needs milliseconds, got {value!r}") from None
            try:
                check_number(number, 0.001, MAX_SECONDS * 1000)
            except BadValue as exc:
                raise BadInput(f"--slo: {key} (ms) {exc}") from None
            values[key] = number
        if not values:
            raise BadInput("--slo: expected ttft=MS,tpot=MS,e2e=MS")
        return cls(**values)

    def __bool__(self) -> bool:
        return any(v is not None for v in (self.ttft, self.tpot, self.e2e))

    def as_dict(self) -> dict[str, float]:
        items = (("ttft_ms", self.ttft), ("tpot_ms", self.tpot), ("e2e_ms", self.e2e))
        return {key: value for key, value in items if value is not None}

    def met(self, record: RequestRecord, unit: str) -> bool:
        """Whether a request succeeded within every objective."""
        if not record.ok:
            return False
        if self.ttft is not None:
            ttft = record.ttft
            if ttft is None or ttft * 1000 > self.ttft:
                return False
        if self.tpot is not None and (record.tpot(unit) or 0.0) * 1000 > self.tpot:
            return False
        e2e = record.e2e
        return self.e2e is None or (e2e is not None and e2e * 1000 <= self.e2e)


@dataclass(frozen=True)
class LoadOptions:
    """How much load `bench` puts on an endpoint: requests, concurrency or rate, warm-up."""

    requests: int = 20
    concurrency: int | None = None  # closed loop: default 1; with `rate`: a cap
    rate: float | None = None  # requests per second (Poisson); None: closed loop
    seed: int = 0
    warmup: int = 0
    timeout: float = 120.0  # the longest silence of one request
    connect_timeout: float = 10.0


@dataclass
class EndpointRun:
    """The records of a run, in sending order, and what was run."""

    provider: str
    url: str
    model: str | None
    load: LoadOptions
    origin: float  # clock time of the run's start: saved times are relative to it
    records: list[RequestRecord] = field(default_factory=list)
    status: int = errors.OK  # 130/143 when interrupted
    timestamps: str = "read"  # how reads were timed: "kernel", "read" or "mixed"

    def header(self) -> dict[str, Any]:
        """The first line of a saved run: what was measured, and how."""
        load = self.load
        return {
            "type": "bench_run",
            "t": 0.0,
            "mode": "endpoint",
            "provider": self.provider,
            "url": self.url,
            "model": self.model,
            "requests": load.requests,
            "concurrency": load.concurrency,
            "rate": load.rate,
            "seed": load.seed,
            "warmup": load.warmup,
            # the clock all times are on, and its reading at the run's start: times in
            # this file plus `origin` compare with other logs of CLOCK_MONOTONIC
            "clock": "monotonic",
            "origin": self.origin,
        }


def run_endpoint(
    provider: Provider,
    request: ChatRequest,
    load: LoadOptions,
    *,
    on_done: Callable[[RequestRecord], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    kernel_timestamps: bool = True,
) -> EndpointRun:
    """Run the load against `provider`; Ctrl-C and SIGTERM end it early (see `status`).

    `kernel_timestamps=False` times reads when the event loop sees them (for comparison).
    """
    return asyncio.run(_run(provider, request, load, on_done, clock, kernel_timestamps))


async def _run(
    provider: Provider,
    request: ChatRequest,
    load: LoadOptions,
    on_done: Callable[[RequestRecord], None] | None,
    clock: Callable[[], float],
    kernel_timestamps: bool,
) -> EndpointRun:
    loop = asyncio.get_running_loop()
    pool = Pool(
        clock, connect_timeout=load.connect_timeout, kernel_timestamps=kernel_timestamps, loop=loop
    )
    run = EndpointRun(provider.name, provider.base_url, request.model, load, clock())
    stopped: list[int] = []
    with _signals(loop, asyncio.current_task(), stopped):
        try:
            if request.model is None:
                request = request.with_model(await choose_model(pool, provider, load.timeout))
                run.model = request.model
            call = provider.chat_call(request)
            run.url = call.url
            await _load(run, pool, provider, call, on_done, clock)
        except asyncio.CancelledError:
            if not stopped:
                raise
            run.status = stopped[0]
        finally:
            await pool.close()
            run.timestamps = pool.timestamps
    return run


@contextlib.contextmanager
def _signals(loop: asyncio.AbstractEventLoop, task: Any, stopped: list[int]) -> Iterator[None]:
    """Ctrl-C and SIGTERM cancel the run, which then reports what it measured."""
    installed = []
    for signum, status in (
        (signal.SIGINT, errors.INTERRUPTED),
        (signal.SIGTERM, errors.TERMINATED),
    ):

        def stop(status: int = status) -> None:
            if not stopped:
                stopped.append(status)
                task.cancel()

        try:
            loop.add_signal_handler(signum, stop)
            installed.append(signum)
        except (NotImplementedError, RuntimeError, ValueError):
            pass
    try:
        yield
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)


async def _load(
    run: EndpointRun,
    pool: Pool,
    provider: Provider,
    call: Call,
    on_done: Callable[[RequestRecord], None] | None,
    clock: Callable[[], float],
) -> None:
    load = run.load
    prepared = Prepared(provider, call)

    async def send(record: RequestRecord) -> None:
        headers, meter = prepared.start(record)
        try:
            await pool.request(
                call.method, call.url, headers, prepared.body, meter, record, timeout=load.timeout
            )
        except asyncio.CancelledError:
            interrupted(record)
            raise
        except Exception as exc:
            prepared.failed(record, exc)
        finally:
            record.done = clock()
            if on_done is not None and not record.warmup:
                on_done(record)

    def records(first: int, count: int, warmup: bool = False) -> Iterator[RequestRecord]:
        """Each request's record, made as it is sent (not all up front)."""
        for index in range(first, first + count):
            record = RequestRecord(index, warmup=warmup)
            run.records.append(record)
            yield record

    run.records = []
    concurrency = min(load.concurrency or 1, max(load.warmup, load.requests))
    if load.warmup:
        await closed_loop(records(0, load.warmup, True), concurrency, send, clock)
    measured = records(load.warmup, load.requests)
    if load.rate is None:
        await closed_loop(measured, concurrency, send, clock)
    else:
        offsets = arrivals(load.requests, load.rate, load.seed)
        await open_loop(measured, offsets, send, clock, cap=load.concurrency)


class _Collect(ResponseHandler):
    """Keeps a small whole response (the model list)."""

    def __init__(self) -> None:
        self.status = 0
        self.parts: list[bytes] = []

    def head(self, t: float, status: int, headers: dict[str, str]) -> None:
        self.status = status

    def data(self, t: float, data: bytes) -> None:
        self.parts.append(data)


async def choose_model(pool: Pool, provider: Provider, timeout: float) -> str:
    """No model was given: the server's only model, or `BadInput` listing them."""

    class _Times:
        started: float | None = None
        connected: float | None = None
        sent: float | None = None
        reused = False

    call = provider.models_call()
    collect = _Collect()
    where = provider.base_url
    try:
        await pool.request(
            call.method, call.url, dict(call.headers), None, collect, _Times(), timeout=timeout
        )
        names = provider.model_names(orjson.loads(b"".join(collect.parts)))
    except (TransportError, orjson.JSONDecodeError) as exc:
        raise BadInput(
            f"no --model given, and the models of {where} cannot be listed: {exc}"
        ) from None
    if collect.status >= 300 or len(names) != 1:
        listing = ", ".join(names[:10]) if names else "none listed"
        raise BadInput(f"no --model given; {where} has {listing}: choose one with --model")
    return names[0]


# -- the figures -----------------------------------------------------------------


def token_unit(records: list[RequestRecord]) -> str:
    """ "tokens" when the server counted every successful answer, else "chunks"."""
    ok = [r for r in records if r.ok]
    return "tokens" if ok and all(r.server_tokens is not None for r in ok) else "chunks"


def measured(records: list[RequestRecord]) -> list[RequestRecord]:
    """The records that count: sent after the warm-up, over, and not cut off by Ctrl-C."""
    return [r for r in records if not r.warmup and r.done is not None and not r.cancelled]


def summarize(records: list[RequestRecord], slo: Slo | None = None) -> dict[str, Any]:
    """The summary of the measured records (see `measured`), as `--json` prints it."""
    counted = measured(records)
    ok = [r for r in counted if r.ok]
    unit = token_unit(counted)
    window = _window(counted)
    tokens = sum(r.output_count(unit) for r in ok)
    ms = 1000.0
    summary: dict[str, Any] = {
        "type": "bench_summary",
        "t": round(window[1] - window[0], 6) if window else 0.0,
        "mode": "endpoint",
        "requests": len(counted),
        "completed": len(ok),
        "empty": sum(1 for r in ok if not r.chunks),  # completed with no output at all
        "errors": len(counted) - len(ok),
        "error_kinds": dict(Counter(r.error["kind"] for r in counted if r.error)),
        "duration_s": round(window[1] - window[0], 6) if window else 0.0,
        "ttft_ms": summary_dict((r.ttft for r in ok if r.ttft is not None), ms),
        "tpot_ms": summary_dict((t for r in ok if (t := r.tpot(unit)) is not None), ms),
        "icl_ms": summary_dict((g for r in ok for g in r.gaps), ms),
        "e2e_ms": summary_dict((r.e2e for r in ok if r.e2e is not None), ms),
        "queue_ms": summary_dict((q for r in counted if (q := r.queue) is not None), ms),
        "start_lag_ms": summary_dict((s for r in counted if (s := r.start_lag) is not None), ms),
        "connect_ms": summary_dict((c for r in counted if (c := r.connect) is not None), ms),
        "output_tokens": tokens,
        "token_source": "server" if unit == "tokens" else "chunks",
        "output_unit": unit,
    }
    duration = summary["duration_s"]
    summary["output_tokens_per_s"] = round(tokens / duration, 3) if duration > 0 else None
    summary["requests_per_s"] = round(len(ok) / duration, 3) if duration > 0 else None
    if slo:
        good = sum(1 for r in ok if slo.met(r, unit))
        summary["slo"] = slo.as_dict()
        summary["good"] = good
        summary["goodput"] = round(good / duration, 3) if duration > 0 else None
    first_error = next((r.error for r in counted if r.error), None)
    if first_error is not None:
        summary["first_error"] = first_error
    return summary


def _window(records: list[RequestRecord]) -> tuple[float, float] | None:
    """From the first request written to the last one over (clock or saved seconds)."""
    sent = [r.sent for r in records if r.sent is not None]
    done = [r.done for r in records if r.done is not None]
    if not sent or not done:
        return None
    return min(sent), max(done)
