"""How a run's load is divided between worker processes, so that together they run
exactly the run asked for.

Locust spreads the users (the concurrency slots) over the workers; each worker then gets
the part of the requests and warm-ups proportional to its users, and with `--rate`, the
same part of the rate: the arrivals of all workers together are a Poisson process of the
rate asked for, not of N times it (a worker must never pace itself at the whole rate).
Each worker draws its own arrivals from its own seed (`seed + worker`). Request indices
stay those of a single run: warm-ups first, then the measured requests, each worker a
range of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Share:
    """One worker's part of the run."""

    worker: int  # its index, in the order workers connected
    users: int  # concurrency slots (Locust users) it runs
    warm_slots: int  # how many of them send the warm-ups
    warmup: int
    requests: int
    first_warmup: int  # the index of its first warm-up...
    first_request: int  # ...and of its first measured request
    rate: float | None  # its requests per second (open loop), else None
    seed: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Share:
        return cls(**data)


def users_for(requests: int, concurrency: int | None, rate: float | None) -> int:
    """The run's concurrency slots: `--concurrency` (closed loop, default 1); with
    `--rate`, its cap, or without a cap one slot per request (none ever waits)."""
    if rate is None:
        return concurrency or 1
    return concurrency or requests


def split(total: int, weights: Sequence[int]) -> list[int]:
    """`total` in whole parts proportional to `weights` (largest remainders first, the
    earlier on a tie); the parts add up to `total`. No weight: all to the first."""
    if not weights:
        return []
    whole = sum(weights)
    if whole <= 0:
        return [total] + [0] * (len(weights) - 1)
    parts = [total * w // whole for w in weights]
    left = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


def divide(
    users: Sequence[int],
    *,
    requests: int,
    warmup: int,
    concurrency: int | None,
    rate: float | None,
    seed: int,
) -> list[Share]:
    """The shares of workers running `users` slots each (in worker order)."""
    counts = split(requests, users)
    warm_slots = split(min(concurrency or 1, sum(users)), users)
    warmups = split(warmup, warm_slots)
    shares = []
    first_warmup, first_request = 0, warmup
    for worker, slots in enumerate(users):
        share_rate = None
        if rate is not None:
            share_rate = rate * counts[worker] / requests if requests else 0.0
        shares.append(
            Share(
                worker=worker,
                users=slots,
                warm_slots=warm_slots[worker],
                warmup=warmups[worker],
                requests=counts[worker],
                first_warmup=first_warmup,
                first_request=first_request,
                rate=share_rate,
                seed=seed + worker,
            )
        )
        first_warmup += warmups[worker]
        first_request += counts[worker]
    return shares
