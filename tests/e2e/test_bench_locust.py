"""`streamcli bench --processes N`, `--master`/`--worker`: Locust run for real on 127.0.0.1.

The server is benchmarks/scheduled_sse_server.py in its own process: it answers on an
exact schedule and logs every answer (request ID, when it wrote each chunk), which is the
truth the merged records are held against. Runs are short and bounded (a few seconds of
load after the workers start).
"""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import orjson
import pytest
from chat_support import chat_env
from conftest import STREAMCLI, read_jsonl
from proc_support import children, gone

from streamcli.bench.load import poisson_offsets
from streamcli.bench.saved import load_saved

ROOT = Path(__file__).resolve().parent.parent.parent
SERVER = ROOT / "benchmarks" / "scheduled_sse_server.py"
TOLERANCE = (
    0.004  # client timestamps against the server's own write times (see test_bench_endpoint)
)
FIGURES = ("ttft_ms", "tpot_ms", "icl_ms", "e2e_ms", "start_lag_ms")

pytestmark = pytest.mark.timeout(60)


class Scheduled:
    """The scheduled server, in its own process, logging each answer as it ends."""

    def __init__(self, tmp_path: Path, ttft: float, gap: float, chunks: int) -> None:
        self.log = tmp_path / "server.jsonl"
        self.log.touch()
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(SERVER),
                "--ttft",
                str(ttft),
                "--gap",
                str(gap),
                "--chunks",
                str(chunks),
                "--log",
                str(self.log),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert self.process.stdout is not None
        port = int(self.process.stdout.readline().split()[1])
        self.url = f"http://127.0.0.1:{port}/v1"

    def answered(self) -> list[dict]:
        return read_jsonl(self.log.read_bytes())

    def wait_answered(self, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while len(self.answered()) < count:
            assert time.monotonic() < deadline, f"the server answered {len(self.answered())}"
            time.sleep(0.05)

    def stop(self) -> None:
        self.process.communicate(timeout=30)


@pytest.fixture
def server(tmp_path):
    scheduled = Scheduled(tmp_path, ttft=0.05, gap=0.01, chunks=10)
    yield scheduled
    scheduled.stop()


def bench_args(url: str, *args: str) -> list[str]:
    return [*STREAMCLI, "bench", "--url", url, "-p", "openai", "-m", "m", *args]


def run_bench(url: str, home: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        bench_args(url, *args), capture_output=True, timeout=60, env=chat_env(home)
    )


def saved_requests(path: Path) -> list[dict]:
    return [item for item in read_jsonl(path.read_bytes()) if item["type"] == "bench_request"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def check_against_the_server(saved: Path, log: list[dict]) -> None:
    """Every saved request is one the server answered, timed as the server wrote it.

    A read that carried several chunks (a busy worker came late to a socket) holds the
    kernel's stamp of its last packet: it is the time of the last of those chunks. Three or
    four busy processes share two cores here, with other work: when the kernel itself
    delivers a packet late, that lateness is real, and a few chunks in a hundred may show
    it (a fresh-clone run with other tests beside it had 5.3 ms at the 97th percentile); a
    wrong timestamp (a role chunk taken for output, a read timed after parsing) would be
    off for every request, so the 90th percentile still catches it."""
    lines = read_jsonl(saved.read_bytes())
    origin = lines[0]["origin"]  # the master's CLOCK_MONOTONIC, which the server shares
    assert lines[-1]["timestamps"] == "kernel"
    by_id = {item["id"]: item for item in log}
    errors = []
    for request in saved_requests(saved):
        if request["error"] is not None:
            continue
        writes = by_id[request["request_id"]]["writes"]
        counts = request.get("counts") or [1] * len(request["outputs"])
        assert sum(counts) == len(writes)
        last = list(itertools.accumulate(counts))
        measured = [origin + request["sent"] + t for t in request["outputs"]]
        errors += [abs(m - writes[n - 1]) for m, n in zip(measured, last, strict=True)]
    errors.sort()
    assert errors[len(errors) // 2] < TOLERANCE / 4
    assert errors[int(len(errors) * 0.90)] < TOLERANCE, errors[-10:]


def test_two_processes_measure_what_the_server_did(server, tmp_path):
    saved = tmp_path / "run.jsonl"
    done = run_bench(
        server.url,
        tmp_path,
        *("--requests", "40", "--concurrency", "8", "--warmup", "4", "--processes", "2"),
        *("--slo", "ttft=1000,tpot=1000", "--save", str(saved), "--json"),
    )
    assert done.returncode == 0, done.stderr
    assert b"error" not in done.stderr  # (a loaded machine may warn of a late start)
    summary = read_jsonl(done.stdout)[-1]
    assert summary["requests"] == summary["completed"] == 40 and summary["good"] == 40
    workers = summary["workers"]
    assert [(w["users"], w["requests"], w["warmup"], w["measured"]) for w in workers] == [
        (4, 20, 2, 20),
        (4, 20, 2, 20),
    ]
    assert len({w["pid"] for w in workers}) == 2
    # as many requests as asked, by the server's own log: the same request IDs
    server.stop()
    log = server.answered()
    requests = saved_requests(saved)
    assert len(log) == 44
    assert {r["request_id"] for r in requests} == {item["id"] for item in log}
    assert sum(r["warmup"] for r in requests) == 4
    assert sorted(r["index"] for r in requests) == list(range(44))
    check_against_the_server(saved, log)
    # the merged figures are exactly those computed again from the saved file
    again = load_saved(str(saved)).figures()
    for key in (*FIGURES, "goodput", "requests_per_s", "output_tokens_per_s", "duration_s"):
        assert again[key] == summary[key], key
    assert summary["icl_ms"]["count"] == 40 * 9
    assert 50 <= summary["ttft_ms"]["p50"] <= 50 + 15


def test_a_master_and_two_workers_on_this_machine(server, tmp_path):
    port, web = free_port(), free_port()
    saved, output = tmp_path / "run.jsonl", tmp_path / "out.jsonl"
    env = chat_env(tmp_path)
    master = subprocess.Popen(
        bench_args(
            server.url,
            *("--requests", "320", "--concurrency", "8", "--master", "--expect-workers", "2"),
            *("--master-bind-host", "127.0.0.1", "--master-bind-port", str(port)),
            *("--web-port", str(web), "--save", str(saved), "--json"),
        ),
        stdout=output.open("wb"),  # read after the run: a full pipe would stall it
        stderr=subprocess.PIPE,
        env=env,
    )
    worker_argv = [*STREAMCLI, "bench", "--worker", "--master-host", "127.0.0.1"]
    workers = [
        subprocess.Popen(
            [*worker_argv, "--master-port", str(port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        for _ in range(2)
    ]
    try:
        # Locust's web UI shows the live figures while it runs (workers report every 3 s)
        entries: list[str] = []
        deadline = time.monotonic() + 30
        while "TTFT" not in entries and time.monotonic() < deadline and master.poll() is None:
            time.sleep(0.25)
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{web}/stats/requests", timeout=2
                ) as page:
                    entries = [s["name"] for s in orjson.loads(page.read())["stats"]]
            except OSError:
                pass
        _, err = master.communicate(timeout=60)
        ends = [w.communicate(timeout=30) for w in workers]
    finally:
        for process in (master, *workers):
            process.kill()
    assert master.returncode == 0, err
    assert [w.returncode for w in workers] == [0, 0], ends
    assert b"error" not in err and all(e == (b"", b"") for e in ends)
    assert "TTFT" in entries and "E2E" in entries
    summary = read_jsonl(output.read_bytes())[-1]
    assert summary["requests"] == summary["completed"] == 320
    assert sorted(w["pid"] for w in summary["workers"]) == sorted(w.pid for w in workers)
    assert [w["measured"] for w in summary["workers"]] == [160, 160]
    assert all(w["clock"] == "shared" for w in summary["workers"])
    server.stop()
    log = server.answered()
    assert {r["request_id"] for r in saved_requests(saved)} == {item["id"] for item in log}
    assert len(log) == 320
    check_against_the_server(saved, log)


def test_a_killed_worker_is_named_and_its_records_kept(tmp_path):
    server = Scheduled(tmp_path, ttft=0.05, gap=0.02, chunks=10)
    saved = tmp_path / "run.jsonl"
    master = subprocess.Popen(
        bench_args(
            server.url,
            *("--requests", "80", "--concurrency", "4", "--processes", "2"),
            *("--save", str(saved), "--json"),
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=chat_env(tmp_path),
    )
    try:
        server.wait_answered(10)
        time.sleep(0.5)  # past a flush of records (every 0.25 s)
        victim = children(master.pid)[0]
        os.kill(victim, signal.SIGKILL)
        out, err = master.communicate(timeout=60)
    finally:
        master.kill()
        server.stop()
    assert master.returncode == 1
    lines = err.decode().splitlines()
    assert len(lines) == 1, lines
    assert f"pid {victim}) was killed by SIGKILL" in lines[0]
    assert lines[0].startswith("streamcli: error: worker ")
    items = read_jsonl(out)
    summary = items[-1]
    (lost,) = [w for w in summary["workers"] if w.get("lost")]
    assert lost["pid"] == victim
    kept = [r for r in saved_requests(saved) if r["worker"] == lost["worker"]]
    assert kept and len(kept) == lost["records"]
    assert 0 < summary["requests"] < 80
    (event,) = [i for i in items if i["type"] == "error"]
    assert f"pid {victim}" in event["message"]
    check_against_the_server(saved, server.answered())


def test_ctrl_c_on_the_master_keeps_what_was_measured(server, tmp_path):
    master = subprocess.Popen(
        bench_args(
            server.url, "--requests", "400", "--concurrency", "4", "--processes", "2", "--json"
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=chat_env(tmp_path),
    )
    try:
        server.wait_answered(8)
        workers = children(master.pid)
        assert len(workers) == 2
        master.send_signal(signal.SIGINT)
        out, err = master.communicate(timeout=30)
    finally:
        master.kill()
    assert master.returncode == 130, err
    assert b"Traceback" not in err
    summary = read_jsonl(out)[-1]
    assert summary["type"] == "bench_summary"
    # the server's log runs ahead of the workers' reading: answers it finished may still
    # have been in flight at the client, and those are cut off (interrupted, not counted)
    assert 0 < summary["requests"] < 400 and summary["errors"] == 0
    assert summary["requests"] + summary.get("interrupted", 0) >= 8
    assert all([gone(pid) for pid in workers])  # no worker left behind


def test_workers_end_with_their_master_even_when_it_is_killed(server, tmp_path):
    master = subprocess.Popen(
        bench_args(server.url, "--requests", "400", "--concurrency", "4", "--processes", "2"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=chat_env(tmp_path),
    )
    try:
        server.wait_answered(4)
        workers = children(master.pid)
        master.kill()
        master.wait(timeout=10)
    finally:
        master.kill()
    assert len(workers) == 2
    assert all([gone(pid, timeout=15) for pid in workers])


def test_the_rate_is_the_total_rate_split_across_workers(tmp_path):
    server = Scheduled(tmp_path, ttft=0.02, gap=0.01, chunks=3)
    saved = tmp_path / "run.jsonl"
    try:
        done = run_bench(
            server.url,
            tmp_path,
            *("--requests", "40", "--rate", "40", "--seed", "3", "--processes", "2"),
            *("--save", str(saved), "--json"),
        )
    finally:
        server.stop()
    assert done.returncode == 0, done.stderr
    requests = saved_requests(saved)
    assert len(requests) == 40
    for worker in (0, 1):
        mine = [r for r in requests if r["worker"] == worker]
        assert len(mine) == 20
        first = min(r["scheduled"] for r in mine)
        due = sorted(r["scheduled"] - first for r in mine)
        # each worker: its own Poisson arrivals at half the rate (20/s), its own seed
        assert due == pytest.approx(poisson_offsets(20, 20.0, 3 + worker), abs=1e-5)
        assert all(r["due"] == r["scheduled"] for r in mine)  # no cap: never queued
    assert len(server.answered()) == 40


def test_workers_that_cannot_run_are_told_once(server, tmp_path):
    port = free_port()
    elsewhere = tmp_path / "worker-machine"
    (elsewhere / "streamcli").mkdir(parents=True)
    (elsewhere / "streamcli" / "config.toml").write_text("timeout = [\n")  # broken there
    key = "sk-test-master-key-0123456789"
    master = subprocess.Popen(
        [
            *bench_args(server.url, "--master", "--expect-workers", "2"),
            "--master-bind-host",
            "127.0.0.1",
            "--master-bind-port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=chat_env(tmp_path, OPENAI_API_KEY=key),
    )
    workers = [
        subprocess.Popen(
            [*STREAMCLI, "bench", "--worker", "--master-port", str(port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=chat_env(elsewhere),
        )
        for _ in range(2)
    ]
    try:
        out, err = master.communicate(timeout=60)
        ends = [w.communicate(timeout=30) for w in workers]
    finally:
        for process in (master, *workers):
            process.kill()
    assert master.returncode == 2
    lines = err.decode().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("streamcli: error: worker 0 (")
    assert ", worker 1 (" in lines[0] and "config.toml" in lines[0]
    assert [w.returncode for w in workers] == [2, 2]
    assert all(e[1] == b"" for e in ends)  # the master says it, once
    assert key.encode() not in out + err  # the master's key never travels
    assert server.answered() == []


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--processes", "2"], "--processes spreads an endpoint run"),
        (["--worker", "--url", "http://127.0.0.1:9/v1"], "--url is for the master"),
        (["--worker", "--requests", "3"], "--requests is for the master"),
        (["--master-port", "5557"], "--master-port is for a --worker"),
        (["--url", "http://x/v1", "--expect-workers", "2"], "--expect-workers is for --master"),
        (["--url", "http://x/v1", "--master", "--processes", "2"], "give --processes N"),
        (["--url", "http://x/v1", "--web-port", "8089"], "--web-port shows Locust's web UI"),
    ],
)
def test_usage_errors(tmp_path, args, says):
    done = subprocess.run(
        [*STREAMCLI, "bench", *args], capture_output=True, timeout=30, env=chat_env(tmp_path)
    )
    assert done.returncode == 2
    lines = done.stderr.decode().splitlines()
    assert len(lines) == 1 and says in lines[0], lines


def test_on_a_terminal_live_progress_then_the_report(server, tmp_path):
    from ptyterm import PtyTerminal

    args = bench_args(server.url, "--requests", "160", "--concurrency", "4")[len(STREAMCLI) :]
    args += ["--processes", "2"]
    env = {"XDG_CONFIG_HOME": str(tmp_path), "NO_PROXY": "*"}

    def progress(term: PtyTerminal) -> bool:  # requests done of 160, live TTFT and TPOT
        return any(
            "requests" in row and "/160" in row and "TTFT" in row and "TPOT" in row
            for row in term.display()
        )

    with PtyTerminal(args, columns=120, rows=60, env=env) as term:
        term.wait_for(progress, timeout=45, what="the live progress line")
        assert term.wait_exit() == 0
        screen = term.text()
    for needle in ("TTFT", "start lag (client)", "160 (160 completed, 0 failed)", "worker 1"):
        assert needle in screen
    assert "/160" not in screen  # the progress line is gone
    assert not term.cursor_hidden


def test_ctrl_c_while_the_master_waits_for_its_workers(tmp_path):
    port = free_port()
    master = subprocess.Popen(
        [
            *bench_args("http://127.0.0.1:9/v1", "--master", "--master-bind-host", "127.0.0.1"),
            "--master-bind-port",
            str(port),
            "--json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=chat_env(tmp_path),
    )
    try:
        deadline = time.monotonic() + 30
        while True:  # until it listens for workers
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert time.monotonic() < deadline and master.poll() is None
            time.sleep(0.1)
        master.send_signal(signal.SIGINT)
        out, err = master.communicate(timeout=10)  # at once: no worker to wait for
    finally:
        master.kill()
    assert master.returncode == 130, err
    assert b"Traceback" not in err
    summary = read_jsonl(out)[-1]
    assert summary["type"] == "bench_summary" and summary["requests"] == 0
