"""A worker process of `streamcli bench` on Locust: its users send its share of the run
and it sends every request's exact record to the master.

`--processes N` starts N of these (`python -m streamcli.bench.locust_worker`); on other
machines `streamcli bench --worker --master-host HOST` runs the same code. The master
sends what to ask (`streamcli_setup`: provider, URL, the request; never a key: each
worker uses the key of its own environment), then this worker's `Share` (`streamcli_go`),
which says how many Locust users to start (the master divides them itself, so Locust
never moves users between workers mid-run). Each user is one concurrency slot with its
own connection (`blocking.Client`) and sends requests one after another exactly as the
one-process run does (`calls`, `measure`): warm-ups first, then the measured requests,
each timed by this worker's own clock from the kernel's arrival stamps. Records go to the
master in batches every FLUSH_INTERVAL (a worker that dies loses at most that much), then
`streamcli_done`. TTFT, TPOT and E2E are also fired as Locust request events, for
Locust's live statistics and web UI only.

Imported only for those runs: importing Locust patches the process for gevent.
"""

from __future__ import annotations

import locust  # first: gevent's monkey patching, before any socket exists

# isort: split

import itertools
import os
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import gevent
from gevent.event import Event
from locust.env import Environment as LocustEnvironment
from locust.exception import StopUser
from locust.runners import WorkerRunner

from streamcli import errors
from streamcli.bench import rxstamp
from streamcli.bench.blocking import Client
from streamcli.bench.calls import Prepared, interrupted
from streamcli.bench.load import poisson_offsets
from streamcli.bench.locust_messages import (
    DONE,
    FAILED,
    GO,
    PING,
    PONG,
    READY,
    RECORDS,
    SETUP,
    STOP,
    Setup,
    boot_id,
    quiet_locust,
)
from streamcli.bench.measure import RequestRecord
from streamcli.bench.shares import Share
from streamcli.env import Environment
from streamcli.errors import StreamcliError

FLUSH_INTERVAL = 0.25  # seconds between batches of records sent to the master


class StreamcliUser(locust.User):
    """One concurrency slot: sends its worker's requests, one after another."""

    wait_time = locust.constant(0)
    work: ClassVar[WorkerRun | None] = None  # set in worker processes only

    @locust.task
    def slot(self) -> None:
        if StreamcliUser.work is not None:
            StreamcliUser.work.slot(self)
        raise StopUser


class WorkerRun:
    """This worker's part of one run: its requests, records and state."""

    def __init__(
        self, environment: LocustEnvironment, env: Environment, clock: Callable[[], float]
    ) -> None:
        self.environment = environment
        self.env = env
        self.clock = clock
        self.runner: WorkerRunner | None = None
        self.setup: Setup | None = None
        self.prepared: Prepared | None = None
        self.share: Share | None = None
        self.status = errors.OK
        self.go = Event()
        self.warmed = Event()
        self.over = Event()  # everything sent, `streamcli_done` too
        self.stamps = rxstamp.Switch()
        self.kernel = False
        self.finished: list[RequestRecord] = []  # over, not yet sent
        self.sent = 0
        self.reads = self.kernel_reads = 0
        self.phase_start = 0.0
        self._slots = itertools.count()
        self._warmups: Iterator[RequestRecord] = iter(())
        self._measured: Iterator[RequestRecord] = iter(())
        self._measured_list: list[RequestRecord] = []
        self._warm_left = 0
        self._left = 0

    # -- messages from the master ---------------------------------------------------

    def on_setup(self, environment: Any, msg: Any) -> None:
        identity = {"host": socket.gethostname(), "pid": os.getpid()}
        try:
            self.setup = Setup.from_dict(msg.data)
            self.prepared = self.setup.prepare(self.env)
        except StreamcliError as exc:
            self.status = exc.exit_code
            self._send(FAILED, {**identity, "message": exc.message, "exit": exc.exit_code})
            return
        self.kernel = self.setup.kernel and rxstamp.supported() and self.stamps.on()
        self._send(READY, {**identity, "boot_id": boot_id(), "clock": self.clock()})

    def on_ping(self, environment: Any, msg: Any) -> None:
        self._send(PONG, {"t0": msg.data["t0"], "clock": self.clock()})

    def on_go(self, environment: Any, msg: Any) -> None:
        share = self.share = Share.from_dict(msg.data)
        worker = share.worker
        warmups = [
            RequestRecord(share.first_warmup + i, warmup=True, worker=worker)
            for i in range(share.warmup)
        ]
        self._measured_list = [
            RequestRecord(share.first_request + i, worker=worker) for i in range(share.requests)
        ]
        self._warmups, self._measured = iter(warmups), iter(self._measured_list)
        self._warm_left, self._left = len(warmups), len(warmups) + share.requests
        if not warmups:
            self._start_measuring()
        self.go.set()
        gevent.spawn(self._flusher)
        if not self._left:
            self._finish()
        elif self.runner is not None:  # this worker's slots, as Locust users
            self.runner.spawn_users({StreamcliUser.__name__: share.users})

    def on_stop(self, environment: Any, msg: Any) -> None:
        self.interrupt(errors.INTERRUPTED)

    # -- the users --------------------------------------------------------------------

    def slot(self, user: StreamcliUser) -> None:
        """One user's loop: its warm-ups (if it is a warm-up slot), then measured requests."""
        self.go.wait()
        share, setup = self.share, self.setup
        assert share is not None and setup is not None
        slot = next(self._slots)
        client = Client(
            self.clock, connect_timeout=setup.connect_timeout, kernel_timestamps=self.kernel
        )
        try:
            if slot < share.warm_slots:
                free = self.clock()
                for record in self._warmups:
                    record.due = free
                    self._request(client, record)
                    free = _ended(record, self.clock)
            self.warmed.wait()
            free = self.phase_start
            for record in self._measured:
                due = record.due = free if record.scheduled is None else max(free, record.scheduled)
                wait = due - self.clock()
                if wait > 0:
                    gevent.sleep(wait)
                self._request(client, record)
                free = _ended(record, self.clock)
        finally:
            self.reads += client.reads
            self.kernel_reads += client.kernel_reads
            client.close()

    def _request(self, client: Client, record: RequestRecord) -> None:
        prepared, setup = self.prepared, self.setup
        assert prepared is not None and setup is not None
        call = prepared.call
        headers, meter = prepared.start(record)
        try:
            client.request(
                call.method, call.url, headers, prepared.body, meter, record, timeout=setup.timeout
            )
        except Exception as exc:
            prepared.failed(record, exc)
        except BaseException:  # the greenlet was killed: the run was stopped
            interrupted(record)
            raise
        finally:
            record.done = self.clock()
            self._over(record)

    def _over(self, record: RequestRecord) -> None:
        self.finished.append(record)
        if record.warmup:
            self._warm_left -= 1
            if not self._warm_left:
                self._start_measuring()
        elif not record.cancelled:
            self._fire(record)
        self._left -= 1
        if not self._left:
            gevent.spawn(self._finish)

    def _start_measuring(self) -> None:
        """Warm-ups over: the measured requests' clock (and arrivals) start now."""
        share = self.share
        assert share is not None
        self.phase_start = self.clock()
        if share.rate is not None and share.requests:
            offsets = poisson_offsets(share.requests, share.rate, share.seed)
            for record, offset in zip(self._measured_list, offsets, strict=True):
                record.scheduled = self.phase_start + offset
        self.warmed.set()

    def _fire(self, record: RequestRecord) -> None:
        """TTFT, TPOT and E2E as Locust request entries (for its live view only)."""
        fire = self.environment.events.request.fire
        error = record.error["message"] if record.error else None
        count = record.output_count("tokens")
        if record.ok and record.ttft is not None:
            fire(request_type="STREAM", name="TTFT", response_time=record.ttft * 1000,
                 response_length=0, exception=None, context={})  # fmt: skip
            tpot = record.tpot("tokens")
            if tpot is not None:
                fire(request_type="STREAM", name="TPOT", response_time=tpot * 1000,
                     response_length=0, exception=None, context={})  # fmt: skip
        e2e = record.e2e if record.e2e is not None else (record.done or 0) - (record.sent or 0)
        fire(request_type="STREAM", name="E2E", response_time=max(e2e, 0.0) * 1000,
             response_length=count, exception=error, context={})  # fmt: skip

    # -- to the master ------------------------------------------------------------------

    def _flusher(self) -> None:
        while not self.over.is_set():
            gevent.sleep(FLUSH_INTERVAL)
            self.flush()

    def flush(self) -> None:
        batch, self.finished = self.finished, []
        if batch:
            self._send(RECORDS, {"records": [r.to_json(0.0) for r in batch]})
            self.sent += len(batch)

    def _finish(self) -> None:
        if self.over.is_set():
            return
        self.over.set()  # first: sending yields, and the master may answer with quit at once
        self.flush()
        self._send(DONE, {"status": self.status, "sent": self.sent, "timestamps": self.timestamps})
        self.stamps.off()

    def interrupt(self, status: int) -> None:
        """Stop now: requests in flight are cut off (and kept, marked interrupted)."""
        if self.over.is_set():
            return
        self.status = status
        if self.runner is not None:
            self.runner.user_greenlets.kill(block=True)
        self._finish()

    def stopped_by_locust(self) -> None:
        """Locust stopped the users (its web UI's stop, or the master quitting)."""
        if self.go.is_set():
            self.interrupt(errors.INTERRUPTED)

    @property
    def timestamps(self) -> str:
        if self.kernel_reads == self.reads:
            return "kernel" if self.kernel else "read"
        return "read" if self.kernel_reads == 0 else "mixed"

    def _send(self, kind: str, data: dict[str, Any]) -> None:
        if self.runner is not None:
            self.runner.send_message(kind, data)


def _ended(record: RequestRecord, clock: Callable[[], float]) -> float:
    ended = record.ended
    return ended if ended is not None else clock()


def run_worker(
    master_host: str, master_port: int, env: Environment, *, parent_pipe: int | None = None
) -> int:
    """Work for the master at `master_host:master_port` until it says quit; the exit
    status. `parent_pipe`: a descriptor whose end means the master process is gone."""
    import signal

    quiet_locust()
    environment = LocustEnvironment(user_classes=[StreamcliUser], events=locust.events)
    run = StreamcliUser.work = WorkerRun(environment, env, time.monotonic)
    try:
        runner = environment.create_worker_runner(master_host, master_port)
    except ConnectionError:
        raise StreamcliError(
            f"no master answered at {master_host}:{master_port}", kind="connection"
        ) from None
    run.runner = runner
    for kind, listener in ((SETUP, run.on_setup), (PING, run.on_ping), (GO, run.on_go)):
        runner.register_message(kind, listener)
    runner.register_message(STOP, run.on_stop)
    environment.events.test_stop.add_listener(lambda **_: run.stopped_by_locust())

    def leave(status: int) -> None:
        run.interrupt(status)
        runner.send_message("quit")  # Locust's own word: the master forgets this worker
        runner.quit()

    gevent.signal_handler(signal.SIGINT, leave, errors.INTERRUPTED)
    gevent.signal_handler(signal.SIGTERM, leave, errors.TERMINATED)
    if parent_pipe is not None:
        gevent.spawn(_watch, parent_pipe, leave)
    runner.greenlet.join()
    return run.status


def _watch(fd: int, leave: Callable[[int], None]) -> None:
    """End this worker when the pipe from the master's process closes (it is gone)."""
    from gevent.os import nb_read

    try:
        os.set_blocking(fd, False)  # else the read would hold up every greenlet
        while nb_read(fd, 4096):
            pass
    except OSError:
        pass
    leave(errors.TERMINATED)


def main() -> None:
    """`python -m streamcli.bench.locust_worker --master-port P`: a worker `--processes`
    starts, ending with the master's process (its stdin)."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="streamcli.bench.locust_worker")
    parser.add_argument("--master-host", default="127.0.0.1")
    parser.add_argument("--master-port", type=int, required=True)
    args = parser.parse_args()
    env = Environment.from_process()
    try:
        status = run_worker(args.master_host, args.master_port, env, parent_pipe=0)
    except StreamcliError as exc:
        errors.report(env.stderr, exc.message)
        status = exc.exit_code
    sys.exit(status)


if __name__ == "__main__":
    main()
