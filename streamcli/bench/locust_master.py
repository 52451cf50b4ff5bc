"""The master of a `streamcli bench` run on Locust: it gathers the workers, hands each its
share of the run, and merges the exact records they send back.

`--processes N` starts N local worker processes (`locust_worker`) and listens on
127.0.0.1 only; `--master --expect-workers K` listens on `--master-bind-port` (Locust's
5557) for K workers started on other machines with `streamcli bench --worker`. Locust
carries the messages, notices a worker that stops answering (its heartbeats), and keeps
its own live statistics (and, with `--web-port`, its web UI); every figure streamcli
reports is computed from the merged records (`merge`).

A worker that dies is named once, as soon as it is noticed, and the records it sent so
far are kept; the run goes on with the others and ends with status 1. Ctrl-C asks every
worker to stop and send what it measured (requests cut off are marked interrupted).
"""

from __future__ import annotations

import locust  # first: gevent's monkey patching

# isort: split

import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gevent
from locust.env import Environment as LocustEnvironment
from locust.runners import STATE_MISSING, STATE_RUNNING, MasterRunner

from streamcli import errors
from streamcli.bench.endpoint_mode import LoadOptions
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
from streamcli.bench.locust_worker import StreamcliUser
from streamcli.bench.merge import DistributedRun, WorkerState
from streamcli.bench.progress import Display
from streamcli.bench.shares import divide, split, users_for
from streamcli.errors import BadInput, StreamcliError, error_line

POLL = 0.05  # seconds between looks at the workers' state
START_TIMEOUT = 60.0  # for local workers to connect, and for any worker to answer the setup
STOP_WAIT = 15.0  # after Ctrl-C, for the workers' last records
PINGS = 5  # clock-offset samples per worker on another machine (the fastest one is kept)


@dataclass(frozen=True)
class Cluster:
    """Where the workers come from: started here (`processes`), or on other machines."""

    processes: int | None = None
    expect_workers: int = 1
    bind_host: str = "*"
    bind_port: int = 5557
    web_port: int | None = None

    @property
    def workers(self) -> int:
        return self.processes if self.processes is not None else self.expect_workers


class Master:
    """One distributed run, from listening for workers to the merged records."""

    def __init__(
        self,
        cluster: Cluster,
        setup: Setup,
        url: str,  # where the requests go (for the report)
        load: LoadOptions,
        display: Display,
        on_done: Callable[[Any], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cluster = cluster
        self.setup = setup
        self.load = load
        self.display = display
        self.on_done = on_done
        self.clock = clock
        self.workers: dict[str, WorkerState] = {}  # by Locust client id
        self.processes: list[subprocess.Popen[bytes]] = []
        self.stderr: dict[int, deque[str]] = {}  # the last lines of each local worker, by pid
        self.stopped: int | None = None  # 130/143 once Ctrl-C or SIGTERM came
        self.hurry = False  # a second Ctrl-C: stop waiting for the workers' last records
        self.run = DistributedRun(setup.provider, url, setup.request.get("model"), load, 0.0)
        self.runner: MasterRunner | None = None

    def measure(self) -> DistributedRun:
        """Run it all; what was measured, also after Ctrl-C or a lost worker."""
        quiet_locust()
        environment = LocustEnvironment(user_classes=[StreamcliUser], events=locust.events)
        local = self.cluster.processes is not None
        host = "127.0.0.1" if local else self.cluster.bind_host
        port = 0 if local else self.cluster.bind_port
        try:
            runner = self.runner = environment.create_master_runner(host, port)
        except SystemExit:  # Locust's word for a port in use
            raise StreamcliError(
                f"cannot listen for workers on port {port}: it is in use (--master-bind-port)",
                kind="connection",
            ) from None
        for kind, listener in (
            (READY, self._on_ready),
            (FAILED, self._on_failed),
            (PONG, self._on_pong),
            (RECORDS, self._on_records),
            (DONE, self._on_done),
        ):
            runner.register_message(kind, listener)
        if self.cluster.web_port is not None:
            # The web UI reads Locust's own options from the command line, which is
            # streamcli's (and would fail them): it is parsed already, leave Locust none.
            del sys.argv[1:]
            environment.create_web_ui("127.0.0.1", self.cluster.web_port)
        handlers = [
            gevent.signal_handler(signal.SIGINT, self._stop, errors.INTERRUPTED),
            gevent.signal_handler(signal.SIGTERM, self._stop, errors.TERMINATED),
        ]
        try:
            if local:
                self._start_local(runner.server.port)
            self._gather(runner)
            self._set_up(runner)
            self._sync_clocks(runner)
            self._go(runner)
            self._collect()
        finally:
            for handler in handlers:
                handler.cancel()
            runner.quit()
            if environment.web_ui is not None:
                environment.web_ui.stop()  # the run is over: so are its live charts
            self._end_local()
        self.run.finish(self.workers.values(), self.stopped)
        return self.run

    # -- the stages -----------------------------------------------------------------

    def _start_local(self, port: int) -> None:
        argv = [sys.executable, "-m", "streamcli.bench.locust_worker", "--master-port", str(port)]
        for _ in range(self.cluster.workers):
            process = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,  # closed when this process ends: the worker ends too
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,  # Ctrl-C comes here; the workers are told
            )
            self.processes.append(process)
            lines = self.stderr[process.pid] = deque(maxlen=5)
            gevent.spawn(_keep_lines, process, lines)

    def _gather(self, runner: MasterRunner) -> None:
        """Wait until the workers have connected (started here: within START_TIMEOUT)."""
        wanted = self.cluster.workers
        bar = self.display.bar("workers", wanted, "connected")
        deadline = self.clock() + START_TIMEOUT
        while len(runner.clients.ready) < wanted and self.stopped is None:
            bar.update(len(runner.clients.ready))
            if self.processes:
                for process in self.processes:
                    if process.poll() is not None:
                        raise StreamcliError(
                            f"a worker process (pid {process.pid}) ended before connecting"
                            f"{self._last_words(process.pid)}"
                        )
                if self.clock() > deadline:
                    raise StreamcliError(
                        f"the worker processes did not connect within {START_TIMEOUT:g} s"
                    )
            gevent.sleep(POLL)
        bar.update(len(runner.clients.ready))
        ids = sorted(runner.clients.keys(), key=runner.get_worker_index)[:wanted]
        for client_id in ids:
            self.workers[client_id] = WorkerState(client_id, len(self.workers))

    def _set_up(self, runner: MasterRunner) -> None:
        """Tell each worker what to ask; fail the run if any cannot (each reason once)."""
        if self.stopped is not None:  # Ctrl-C while waiting for workers: nothing to do
            return
        for worker in self.workers.values():
            worker.asked = self.clock()
            runner.send_message(SETUP, self.setup.as_dict(), worker.client_id)
        self._wait(lambda w: w.ready or w.failure is not None, START_TIMEOUT, "answer the setup")
        failures: dict[str, list[WorkerState]] = {}
        for worker in self.workers.values():
            if worker.failure is not None:
                failures.setdefault(worker.failure["message"], []).append(worker)
        if failures:
            message, failed = next(iter(failures.items()))
            names = ", ".join(w.name for w in failed)
            usage = all((w.failure or {}).get("exit") == errors.USAGE for w in failed)
            raise (BadInput if usage else StreamcliError)(f"{names}: {message}")

    def _sync_clocks(self, runner: MasterRunner) -> None:
        """The offset of each worker's clock on another machine (same kernel: none)."""
        if self.stopped is not None:
            return
        here = boot_id()
        far = [w for w in self.workers.values() if here is None or w.boot_id != here]
        for worker in self.workers.values():
            worker.shared_clock = worker not in far
        for _ in range(PINGS):
            for worker in far:
                runner.send_message(PING, {"t0": self.clock()}, worker.client_id)
            gevent.sleep(0.02)
        self._wait(lambda w: w.shared_clock or w.pongs >= PINGS, 10.0, "answer the clock check")

    def _go(self, runner: MasterRunner) -> None:
        if self.stopped is not None:
            return
        load = self.load
        workers = list(self.workers.values())
        users = split(users_for(load.requests, load.concurrency, load.rate), [1] * len(workers))
        shares = divide(
            users,
            requests=load.requests,
            warmup=load.warmup,
            concurrency=load.concurrency,
            rate=load.rate,
            seed=load.seed,
        )
        runner.update_state(STATE_RUNNING)  # for Locust's web UI: the run is on
        self.run.origin_clock = self.clock()
        for worker, share in zip(workers, shares, strict=True):
            worker.share = share
            runner.send_message(GO, share.as_dict(), worker.client_id)

    def _collect(self) -> None:
        """Until every worker is done or lost; after Ctrl-C, STOP_WAIT at most."""
        if any(w.share is not None for w in self.workers.values()):  # the run began
            self._wait(lambda w: w.finished, None, "", after_stop=STOP_WAIT)

    def _wait(
        self,
        settled: Callable[[WorkerState], bool],
        timeout: float | None,
        what: str,
        after_stop: float = 0.0,
    ) -> None:
        """Poll until `settled` holds for every worker not lost (noticing lost ones), or
        `timeout` passes (an error), or `after_stop` seconds after Ctrl-C."""
        deadline = None if timeout is None else self.clock() + timeout
        stop_deadline = None
        while True:
            self._notice_lost()
            if all(w.lost is not None or settled(w) for w in self.workers.values()):
                return
            if self.stopped is not None:
                if stop_deadline is None:
                    stop_deadline = self.clock() + after_stop
                if self.hurry or self.clock() >= stop_deadline:
                    return
            if deadline is not None and self.clock() > deadline:
                slow = [w.name for w in self.workers.values() if w.lost is None and not settled(w)]
                raise StreamcliError(f"{', '.join(slow)} did not {what} within {timeout:g} s")
            gevent.sleep(POLL)

    def _notice_lost(self) -> None:
        assert self.runner is not None
        clients = self.runner.clients
        for worker in self.workers.values():
            if worker.lost is not None or worker.finished:
                continue
            reason = None
            process = next((p for p in self.processes if p.pid == worker.pid), None)
            if process is not None and process.poll() is not None:
                reason = _exit_reason(process.returncode)
            elif worker.client_id not in clients:
                reason = "quit"
            elif clients[worker.client_id].state == STATE_MISSING:
                reason = "stopped answering (no heartbeat)"
            if reason is not None:
                worker.lost = reason
                self.display.note(
                    error_line(
                        f"{worker.name} {reason} after {worker.received} requests; "
                        "the records it sent are kept"
                    )
                )

    # -- messages from the workers ------------------------------------------------

    def _worker(self, msg: Any) -> WorkerState | None:
        return self.workers.get(msg.node_id)

    def _on_ready(self, environment: Any, msg: Any) -> None:
        worker = self._worker(msg)
        if worker is not None:
            worker.identify(msg.data)
            worker.ready = True

    def _on_failed(self, environment: Any, msg: Any) -> None:
        worker = self._worker(msg)
        if worker is not None:
            worker.identify(msg.data)
            worker.failure = msg.data

    def _on_pong(self, environment: Any, msg: Any) -> None:
        worker = self._worker(msg)
        if worker is not None:
            worker.pong(msg.data["t0"], msg.data["clock"], self.clock())

    def _on_records(self, environment: Any, msg: Any) -> None:
        worker = self._worker(msg)
        if worker is None:
            return
        for record in self.run.add(worker, msg.data["records"]):
            if self.on_done is not None and not record.warmup and not record.cancelled:
                self.on_done(record)

    def _on_done(self, environment: Any, msg: Any) -> None:
        worker = self._worker(msg)
        if worker is not None:
            worker.done = msg.data

    # -- stopping -------------------------------------------------------------------

    def _stop(self, status: int) -> None:
        """Ctrl-C or SIGTERM: every worker stops and sends what it measured."""
        if self.stopped is not None:
            self.hurry = True  # a second one: stop waiting
            return
        self.stopped = status
        if self.runner is not None:
            for worker in self.workers.values():
                self.runner.send_message(STOP, None, worker.client_id)

    def _end_local(self) -> None:
        for process in self.processes:
            if process.stdin is not None:
                process.stdin.close()
        deadline = self.clock() + 5.0
        for process in self.processes:
            while process.poll() is None and self.clock() < deadline:
                gevent.sleep(POLL)
            if process.poll() is None:
                process.kill()
                process.wait()

    def _last_words(self, pid: int) -> str:
        lines = [line for line in self.stderr.get(pid, ()) if line.strip()]
        return f": {lines[-1].strip()}" if lines else ""


def _keep_lines(process: subprocess.Popen[bytes], lines: deque[str]) -> None:
    assert process.stderr is not None
    for line in process.stderr:
        lines.append(line.decode("utf-8", "replace"))


def _exit_reason(status: int) -> str:
    if status < 0:
        try:
            return f"was killed by {signal.Signals(-status).name}"
        except ValueError:
            return f"was killed by signal {-status}"
    return f"exited with status {status}"
