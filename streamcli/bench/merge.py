"""The records of a run on several worker processes, merged into one run.

Every figure of a request (TTFT, TPOT, inter-chunk gaps, E2E, start lag) is a difference
of two times taken by the same worker on its own clock, so no offset between clocks can
enter it. Only the run's window (first request sent → last one over, for throughput and
goodput) spans workers: their times are moved onto the master's clock, exactly when the
worker runs under the same kernel (the same boot ID: the same CLOCK_MONOTONIC), else by
the offset the fastest of a few pings measured, within half its round trip (saved as
`clock_error_ms` per worker).

The merged records are what is saved and what every figure is computed from: a summary
recomputed from the saved file (`--compare`, `saved.py`) gives the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from streamcli import errors
from streamcli.bench.endpoint_mode import EndpointRun, measured
from streamcli.bench.measure import RequestRecord
from streamcli.bench.shares import Share

TIME_KEYS = ("t", "scheduled", "due", "started", "connected", "sent", "head", "final", "done")


@dataclass
class WorkerState:
    """What the master knows of one worker."""

    client_id: str  # Locust's id for it
    index: int  # in the order the workers connected
    host: str = "?"
    pid: int | None = None
    boot_id: str | None = None
    asked: float = 0.0  # when the setup was sent
    ready: bool = False
    failure: dict[str, Any] | None = None
    shared_clock: bool = True
    offset: float = 0.0  # added to a time on the worker's clock, gives the master's
    offset_error: float = 0.0
    pongs: int = 0
    share: Share | None = None
    received: int = 0  # records received
    done: dict[str, Any] | None = None  # its last word: status, records sent, timestamps
    lost: str | None = None  # why it is gone before it was done
    _best_round_trip: float = field(default=math.inf, repr=False)

    @property
    def finished(self) -> bool:
        return self.done is not None

    @property
    def name(self) -> str:
        where = f"{self.host}, pid {self.pid}" if self.pid is not None else self.client_id
        return f"worker {self.index} ({where})"

    def identify(self, data: dict[str, Any]) -> None:
        self.host = str(data.get("host", "?"))
        self.pid = data.get("pid")
        self.boot_id = data.get("boot_id")

    def pong(self, sent: float, theirs: float, back: float) -> None:
        """A ping sent at `sent` (master's clock), answered at `theirs` (the worker's),
        back at `back`: the offset, if this was the fastest round trip yet."""
        self.pongs += 1
        round_trip = back - sent
        if round_trip < self._best_round_trip:
            self._best_round_trip = round_trip
            self.offset = (sent + back) / 2 - theirs
            self.offset_error = round_trip / 2

    def describe(self) -> dict[str, Any]:
        """The worker as the saved run's header lists it."""
        item: dict[str, Any] = {
            "worker": self.index,
            "host": self.host,
            "pid": self.pid,
            "clock": "shared" if self.shared_clock else "offset",
            "records": self.received,
        }
        if not self.shared_clock:
            item["clock_error_ms"] = round(self.offset_error * 1000, 3)
        if self.share is not None:
            item["users"] = self.share.users
            item["requests"] = self.share.requests
            item["warmup"] = self.share.warmup
            if self.share.rate is not None:
                item["rate"] = round(self.share.rate, 6)
        if self.done is not None:
            item["status"] = self.done.get("status")
        if self.lost is not None:
            item["lost"] = self.lost
        return item


@dataclass
class DistributedRun(EndpointRun):
    """An `EndpointRun` whose records came from workers; times relative to `origin_clock`
    (the master's clock when the workers were told to go), so `origin` is 0."""

    origin_clock: float = 0.0
    workers: list[dict[str, Any]] = field(default_factory=list)

    def add(self, worker: WorkerState, items: Iterable[dict[str, Any]]) -> list[RequestRecord]:
        """Records a worker sent (times on its clock), on the master's clock from now on."""
        delta = (0.0 if worker.shared_clock else worker.offset) - self.origin_clock
        added = []
        for item in items:
            moved = dict(item)
            for key in TIME_KEYS:
                value = moved.get(key)
                if value is not None:
                    moved[key] = round(value + delta, 6)
            moved["worker"] = worker.index
            added.append(RequestRecord.from_json(moved))
        self.records.extend(added)
        worker.received += len(added)
        return added

    def finish(self, workers: Iterable[WorkerState], stopped: int | None) -> None:
        """The run is over: records in index order, the workers described, the status."""
        workers = list(workers)
        self.records.sort(key=lambda r: r.index)
        self.workers = [w.describe() for w in workers]
        for item in self.workers:  # each worker's requests and failures, told once
            mine = [r for r in measured(self.records) if r.worker == item["worker"]]
            failed = [r.error for r in mine if r.error]
            item["measured"] = len(mine)
            item["errors"] = len(failed)
            if failed:
                item["first_error"] = failed[0]
        modes = {str(w.done.get("timestamps")) for w in workers if w.done}
        self.timestamps = modes.pop() if len(modes) == 1 else "mixed" if modes else "read"
        stops = [int(w.done.get("status") or 0) for w in workers if w.done]
        stops = [status for status in stops if status != errors.OK]
        if stopped is not None:
            self.status = stopped
        elif any(w.lost is not None for w in workers):
            self.status = errors.FAILURE
        elif stops:  # a worker stopped early: Ctrl-C on it, or the web UI's Stop
            self.status = stops[0]

    @property
    def lost(self) -> list[dict[str, Any]]:
        return [w for w in self.workers if "lost" in w]

    def header(self) -> dict[str, Any]:
        header = super().header()
        header["origin"] = self.origin_clock
        header["workers"] = self.workers
        return header
