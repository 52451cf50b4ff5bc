"""Summary statistics of a sample: count, mean, min, percentiles, max.

Percentiles interpolate linearly between the two nearest ranks (numpy's default, which
`vllm bench serve` and genai-perf use), so the figures compare with theirs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass

PERCENTILES = (50, 90, 95, 99)


@dataclass(frozen=True)
class SampleStats:
    """Count, mean, extremes and percentiles of one set of measurements."""

    count: int
    mean: float
    min: float
    p50: float
    p90: float
    p95: float
    p99: float
    max: float
    std: float

    def as_dict(self, digits: int = 3) -> dict[str, float | int]:
        """The figures rounded for JSON (`count` stays an integer)."""
        return {
            key: value if key == "count" else round(value, digits)
            for key, value in asdict(self).items()
        }


def percentile(ordered: list[float], p: float) -> float:
    """The `p`th percentile (0-100) of an ascending list, linearly interpolated."""
    if not ordered:
        raise ValueError("percentile of an empty sample")
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    fraction = rank - low
    return ordered[low] + (ordered[high] - ordered[low]) * fraction


def summarize(values: Iterable[float], scale: float = 1.0) -> SampleStats | None:
    """Statistics of `values` multiplied by `scale` (e.g. 1000 for seconds → ms); None if empty."""
    ordered = sorted(v * scale for v in values)
    n = len(ordered)
    if n == 0:
        return None
    mean = math.fsum(ordered) / n
    variance = math.fsum((v - mean) ** 2 for v in ordered) / n
    p50, p90, p95, p99 = (percentile(ordered, p) for p in PERCENTILES)
    return SampleStats(n, mean, ordered[0], p50, p90, p95, p99, ordered[-1], math.sqrt(variance))


def summary_dict(values: Iterable[float], scale: float = 1.0, digits: int = 3) -> dict | None:
    """`summarize` as a JSON-ready dict, or None for an empty sample."""
    summary = summarize(values, scale)
    return summary.as_dict(digits) if summary is not None else None
