"""Load models: a closed loop of C workers, or Poisson arrivals (an open loop).

Closed loop (`--concurrency C`): C workers each send their next request as soon as the
last one ended, so C requests are always in flight. Open loop (`--rate R`): request i is
due at the i-th arrival of a Poisson process of rate R (exponential gaps, seeded, the
first at 0), whether or not earlier ones have finished; with a `--concurrency` cap, a due
request waits for a free slot, and that wait is recorded (`queue`) outside TTFT and E2E.

Each request is also given the moment it became due (`RequestRecord.due`: its arrival,
and its slot free), so the client's own lateness in starting it can be told apart
(`start_lag`).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sized

from streamcli.bench.measure import RequestRecord

Send = Callable[[RequestRecord], Awaitable[None]]


def poisson_offsets(count: int, rate: float, seed: int) -> list[float]:
    """When each of `count` requests is due (seconds from the start), `rate` per second."""
    return list(arrivals(count, rate, seed))


def arrivals(count: int, rate: float, seed: int) -> Iterator[float]:
    """`poisson_offsets`, one at a time (nothing held per request before it is due)."""
    rng = random.Random(seed)
    t = 0.0
    for _ in range(count):
        yield t
        t += rng.expovariate(rate)


async def closed_loop(
    records: Iterable[RequestRecord],
    concurrency: int,
    send: Send,
    clock: Callable[[], float],
) -> None:
    """Send `records` with `concurrency` workers, each starting its next when one ends
    (`records` may be made as they are taken: nothing is held per request up front)."""
    if isinstance(records, Sized):
        concurrency = min(concurrency, len(records))
    pending = iter(records)
    start = clock()

    async def worker() -> None:
        free = start
        for record in pending:  # the workers share one iterator
            record.due = free
            await send(record)
            free = _ended(record, clock)

    await _gather([worker() for _ in range(concurrency)])


async def open_loop(
    records: Iterable[RequestRecord],
    offsets: Iterable[float],
    send: Send,
    clock: Callable[[], float],
    cap: int | None = None,
) -> None:
    """Send record i at `offsets[i]` seconds from now; at most `cap` in flight."""
    loop = asyncio.get_running_loop()
    # with a cap, the free slots in the order they came free, each with the time it did
    slots: asyncio.Queue[float] | None = None
    if cap:
        slots = asyncio.Queue()
        for _ in range(cap):
            slots.put_nowait(float("-inf"))
    start = clock()
    tasks: list[asyncio.Task[None]] = []

    async def one(record: RequestRecord) -> None:
        assert record.scheduled is not None
        if slots is None:
            record.due = record.scheduled
            await send(record)
            return
        free = await slots.get()
        record.due = max(record.scheduled, free)
        try:
            await send(record)
        finally:
            slots.put_nowait(_ended(record, clock))

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


def _ended(record: RequestRecord, clock: Callable[[], float]) -> float:
    ended = record.ended
    return ended if ended is not None else clock()


async def _gather(awaitables: list) -> None:
    """Run them all; when cancelled (Ctrl-C), cancel them all and wait until they end."""
    tasks = [asyncio.ensure_future(a) for a in awaitables]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
