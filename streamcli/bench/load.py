"""Load models: a closed loop of C workers, or Poisson arrivals (an open loop).

Closed loop (`--concurrency C`): C workers each send their next request as soon as the
last one ended, so C requests are always in flight. Open loop (`--rate R`): request i is
due at the i-th arrival of a Poisson process of rate R (exponential gaps, seeded, the
first at 0), whether or not earlier ones have finished; with a `--concurrency` cap, a due
request waits for a free slot, and that wait is recorded (`queue`) outside TTFT and E2E.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable

from streamcli.bench.measure import RequestRecord

Send = Callable[[RequestRecord], Awaitable[None]]


def poisson_offsets(count: int, rate: float, seed: int) -> list[float]:
    """When each of `count` requests is due (seconds from the start), `rate` per second."""
    rng = random.Random(seed)
    offsets = []
    t = 0.0
    for _ in range(count):
        offsets.append(t)
        t += rng.expovariate(rate)
    return offsets


async def closed_loop(records: list[RequestRecord], concurrency: int, send: Send) -> None:
    """Send `records` with `concurrency` workers, each starting its next when one ends."""
    pending = iter(records)

    async def worker() -> None:
        for record in pending:  # the workers share one iterator
            await send(record)

    await _gather([worker() for _ in range(min(concurrency, len(records)))])


async def open_loop(
    records: list[RequestRecord],
    offsets: list[float],
    send: Send,
    clock: Callable[[], float],
    cap: int | None = None,
) -> None:
    """Send record i at `offsets[i]` seconds from now; at most `cap` in flight."""
    loop = asyncio.get_running_loop()
    slots = asyncio.Semaphore(cap) if cap else None
    start = clock()
    tasks: list[asyncio.Task[None]] = []

    async def one(record: RequestRecord) -> None:
        if slots is None:
            await send(record)
            return
        async with slots:
            await send(record)

    try:
        for record, offset in zip(records, offsets, strict=True):
            record.scheduled = start + offset
            delay = record.scheduled - clock()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(loop.create_task(one(record)))
    except BaseException:  # cancelled (Ctrl-C) while waiting for the next arrival
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    await _gather(tasks)


async def _gather(awaitables: list) -> None:
    """Run them all; when cancelled (Ctrl-C), cancel them all and wait until they end."""
    tasks = [asyncio.ensure_future(a) for a in awaitables]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
