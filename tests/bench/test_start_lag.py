"""When each request was due, so that the client's own lateness (start lag) shows, and the
warning a run past the client's knee gets."""

from __future__ import annotations

import asyncio

import pytest

from streamcli.bench.load import closed_loop, open_loop
from streamcli.bench.measure import RequestRecord
from streamcli.bench.saturation import LAG_BOUND_MS, MIN_REQUESTS, saturated, warning


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_closed_loop_request_is_due_when_its_slot_came_free():
    clock = Clock()

    async def send(record: RequestRecord) -> None:
        record.started = clock.now + 0.003  # the client takes 3 ms to begin it
        record.final = clock.now = clock.now + 1.0  # its answer's end arrives 1 s later
        clock.now += 0.010  # noticed 10 ms after it arrived
        record.done = clock.now

    records = [RequestRecord(i) for i in range(3)]
    asyncio.run(closed_loop(records, 1, send, clock))
    assert records[0].due == 100.0  # the run's start
    assert records[1].due == records[0].final  # the arrival, not when it was noticed
    assert [r.start_lag for r in records[1:]] == pytest.approx([0.013, 0.013])


def test_an_open_loop_request_is_due_at_its_arrival_or_when_a_slot_came_free():
    clock = Clock()

    async def send(record: RequestRecord) -> None:
        record.started = clock.now
        await asyncio.sleep(0)
        record.final = record.done = clock.now + 5.0  # long answers: the cap binds

    records = [RequestRecord(i) for i in range(3)]
    asyncio.run(open_loop(records, [0.0, 0.0, 0.0], send, clock, cap=2))
    assert [r.due for r in records[:2]] == [r.scheduled for r in records[:2]]
    assert records[2].due == records[0].final  # waited for the first slot to come free


def summary(p99: float, count: int = 100) -> dict:
    return {"start_lag_ms": {"count": count, "p50": 1.0, "p99": p99}}


def test_a_run_past_the_knee_is_told_so():
    assert not saturated(summary(LAG_BOUND_MS))
    assert saturated(summary(LAG_BOUND_MS + 1))
    assert not saturated(summary(LAG_BOUND_MS * 10, count=MIN_REQUESTS - 1))
    assert not saturated({"start_lag_ms": None})
    one = warning(summary(120.0), spread=False)
    assert one is not None and "start lag p99 120.0 ms" in one and "--processes N" in one
    many = warning(summary(120.0), spread=True)
    assert many is not None and "more worker processes or machines" in many
    assert warning(summary(1.0), spread=False) is None
