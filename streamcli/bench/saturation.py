"""Whether the client kept up with the load it was asked to offer.

A client process that saturates still times every chunk right (the kernel stamps each
read's arrival), but it begins requests late: fewer are in flight than asked, and the
server is measured under less load than the figures claim. The sign is the start lag
(`RequestRecord.start_lag`): on this project's shared 2-core machine one process keeps
its p99 at 10-25 ms (the scheduler's noise) until it passes about the concurrency stated
in docs/bench.md (measured with benchmarks/bench_saturation.py), and then it grows
past 100 ms. A run of fewer than MIN_REQUESTS requests is not judged.
"""

from __future__ import annotations

from typing import Any

LAG_BOUND_MS = 50.0  # start lag p99 above this: the client is past its knee
MIN_REQUESTS = 20  # below, a p99 is the worst request: one hiccup of the machine's


def saturated(summary: dict[str, Any]) -> bool:
    lag = summary.get("start_lag_ms")
    return lag is not None and lag["count"] >= MIN_REQUESTS and lag["p99"] > LAG_BOUND_MS


def warning(summary: dict[str, Any], *, spread: bool) -> str | None:
    """What to tell the user when the run's own start lag is past the bound, else None."""
    if not saturated(summary):
        return None
    p99 = summary["start_lag_ms"]["p99"]
    remedy = (
        "more worker processes or machines"
        if spread
        else "--processes N to spread it over N processes"
    )
    return (
        f"requests started late (start lag p99 {p99:.1f} ms, above {LAG_BOUND_MS:g} ms): "
        f"the client could not keep up and offered less load than asked; use {remedy}"
    )
