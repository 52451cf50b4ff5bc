"""How a run is divided between workers, and how their records are put on one clock."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamcli.bench.endpoint_mode import LoadOptions
from streamcli.bench.merge import DistributedRun, WorkerState
from streamcli.bench.shares import divide, split, users_for


@given(st.integers(0, 10_000), st.lists(st.integers(0, 50), min_size=1, max_size=8))
def test_split_adds_up_and_stays_proportional(total, weights):
    parts = split(total, weights)
    assert sum(parts) == total
    whole = sum(weights)
    if whole:
        for part, weight in zip(parts, weights, strict=True):
            assert abs(part - total * weight / whole) < 1
            assert weight or not part  # nothing to a worker without slots


def test_shares_of_a_closed_loop():
    shares = divide([4, 4], requests=40, warmup=5, concurrency=8, rate=None, seed=7)
    assert [(s.users, s.warm_slots, s.warmup, s.requests) for s in shares] == [
        (4, 4, 3, 20),
        (4, 4, 2, 20),
    ]
    # indices as one process numbers them: warm-ups first, then the measured requests
    assert [(s.first_warmup, s.first_request) for s in shares] == [(0, 5), (3, 25)]
    assert [s.seed for s in shares] == [7, 8]
    assert all(s.rate is None for s in shares)


def test_the_rate_is_split_never_multiplied():
    users = split(users_for(30, None, 10.0), [1, 1, 1])
    shares = divide(users, requests=30, warmup=2, concurrency=None, rate=10.0, seed=0)
    assert sum(s.rate or 0 for s in shares) == pytest.approx(10.0)
    assert [s.requests for s in shares] == [10, 10, 10]
    # without a cap, one slot per request; the warm-ups, as in one process, one at a time
    assert sum(s.users for s in shares) == 30
    assert sum(s.warm_slots for s in shares) == 1 and sum(s.warmup for s in shares) == 2


def test_fewer_slots_than_workers():
    shares = divide(split(1, [1, 1]), requests=5, warmup=0, concurrency=1, rate=None, seed=0)
    assert [(s.users, s.requests) for s in shares] == [(1, 5), (0, 0)]


def record(index: int, sent: float, *, worker_clock: float = 0.0) -> dict:
    return {
        "type": "bench_request",
        "index": index,
        "t": worker_clock + sent + 0.5,
        "sent": worker_clock + sent,
        "started": worker_clock + sent - 0.001,
        "outputs": [0.1, 0.2, 0.3],
        "final": worker_clock + sent + 0.4,
        "done": worker_clock + sent + 0.5,
        "error": None,
    }


def test_records_move_onto_the_masters_clock_and_only_the_window_depends_on_it():
    run = DistributedRun("openai", "http://x/v1", "m", LoadOptions(), 0.0, origin_clock=1000.0)
    here = WorkerState("a", 0)  # same kernel: the same clock
    far = WorkerState("b", 1, shared_clock=False)
    far.pong(1000.0, 5000.2, 1000.4)  # its clock reads 4000 s ahead; round trip 0.4 s
    far.pong(1000.5, 5000.6, 1000.7)  # a faster round trip wins: offset -4000.0, ±0.1 s
    assert far.offset == pytest.approx(-4000.0) and far.offset_error == pytest.approx(0.1)
    (a,) = run.add(here, [record(3, 1001.0)])
    (b,) = run.add(far, [record(7, 1001.0, worker_clock=4000.0)])
    assert a.sent == pytest.approx(1.0) and b.sent == pytest.approx(1.0)
    assert a.worker == 0 and b.worker == 1
    # a request's own figures never depend on the offset
    assert a.ttft == b.ttft == pytest.approx(0.1)
    assert a.e2e == b.e2e == pytest.approx(0.4)
    run.finish([here, far], None)
    assert [w["clock"] for w in run.workers] == ["shared", "offset"]
    assert run.workers[1]["clock_error_ms"] == pytest.approx(100.0)
    assert run.header()["origin"] == 1000.0
