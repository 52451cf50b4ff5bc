"""Saved runs (`--save FILE`) read back, and made comparable (`--compare A B`).

A saved run is JSON lines: a `bench_run` header, then one `bench_request` per request
(endpoint mode, raw timestamps) or one `bench_sink` per sink (pipeline mode), then, for
endpoint mode, the `bench_summary`. An endpoint run's figures are recomputed from the raw
timestamps, so both sides of a comparison follow the same definitions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from streamcli.bench.endpoint_mode import Slo, summarize
from streamcli.bench.measure import RequestRecord
from streamcli.capped import LINE_LIMIT, capped_lines
from streamcli.errors import BadInput


@dataclass
class SavedRun:
    """A run saved with `--save`, read back to be compared."""

    path: str
    mode: str  # "endpoint" or "pipeline"
    header: dict[str, Any] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    sinks: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] | None = None

    def figures(self) -> dict[str, Any]:
        """Endpoint: the summary, recomputed from the raw timestamps when they are there.
        Pipeline: each sink's figures under its name."""
        if self.mode == "pipeline":
            return {item["sink"]: item for item in self.sinks if isinstance(item.get("sink"), str)}
        if not self.requests:
            return self.summary or {}
        slo = None
        saved = (self.summary or {}).get("slo")
        if isinstance(saved, dict):
            slo = Slo(saved.get("ttft_ms"), saved.get("tpot_ms"), saved.get("e2e_ms"))
        try:
            records = [RequestRecord.from_json(item) for item in self.requests]
        except (KeyError, TypeError, ValueError) as exc:
            raise BadInput(f"{self.path}: a bench_request line is malformed ({exc})") from None
        return summarize(records, slo)


def load_saved(path: str) -> SavedRun:
    """Read a saved run, or raise `BadInput` saying what is wrong with the file."""
    run = SavedRun(path, mode="")
    try:
        with open(path, "rb") as stream:
            for number, line in enumerate(capped_lines(stream, LINE_LIMIT, path), 1):
                _take(run, number, line)
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror or exc}") from None
    if not run.mode:
        run.mode = "pipeline" if run.sinks else "endpoint" if run.requests or run.summary else ""
    if run.mode not in ("endpoint", "pipeline") or not (run.requests or run.sinks or run.summary):
        raise BadInput(f"{path}: no streamcli bench results in it (save them with --save FILE)")
    return run


def _take(run: SavedRun, number: int, line: bytes) -> None:
    """Line `number` of a saved run, added to `run`."""
    if not line.strip():
        return
    try:
        item = orjson.loads(line)
    except orjson.JSONDecodeError:
        raise BadInput(f"{run.path}:{number}: not JSON; is it a file from --save?") from None
    kind = item.get("type") if isinstance(item, dict) else None
    if kind == "bench_run":
        run.header = item
        run.mode = str(item.get("mode", ""))
    elif kind == "bench_request":
        run.requests.append(item)
    elif kind == "bench_sink":
        run.sinks.append(item)
    elif kind == "bench_summary":
        run.summary = item
