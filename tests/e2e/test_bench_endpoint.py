"""`streamcli bench` endpoint mode against real fake servers with exactly known timing.

The fake server (in this process) logs when it wrote every chunk; `streamcli bench` runs
as a subprocess, so the two never share an interpreter. Tolerances: measured values must
agree with the server's own log within TOLERANCE (4 ms) and with the scripted schedule
within SCHEDULE_TOLERANCE (15 ms, which also absorbs the server's sleeping late). Both are
far above what the benchmark measures on an idle machine (tens of microseconds, see
benchmarks/bench_endpoint_accuracy.py), so a loaded two-core machine does not make them
flake, and far below the errors they exist to catch (a role chunk taken for the first
token is 200 ms off; a timestamp taken after parsing at 64 streams, several ms).
"""

from __future__ import annotations

import contextlib
import itertools
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import orjson
import pytest
from chat_support import chat_env
from conftest import STREAMCLI, read_jsonl
from servers import Drop, FakeServer, Pause, Received, Reply
from servers import anthropic as an
from servers import ollama as ol
from servers import openai as oa

from streamcli.bench import rxstamp
from streamcli.bench.load import poisson_offsets

TOLERANCE = 0.004
SCHEDULE_TOLERANCE = 0.015
TTFT, GAP = 0.2, 0.02


@pytest.fixture
def server():
    with FakeServer() as server:
        yield server


def bench(server: FakeServer, home: Path, *args: str, provider: str = "openai", timeout=90):
    base = server.url + "/v1" if provider == "openai" else server.url
    done = subprocess.run(
        [*STREAMCLI, "bench", "--url", base, "--provider", provider, "--model", "m", *args],
        capture_output=True,
        timeout=timeout,
        env=chat_env(home),
    )
    return done


def scheduled(body: list[bytes], first: int, count: int, ttft=TTFT, gap=GAP) -> list:
    """`body` with a pause of `ttft` before item `first`, then `gap` between `count` items."""
    steps: list = list(body[:first])
    steps.append(Pause(ttft))
    for i, piece in enumerate(body[first : first + count]):
        if i:
            steps.append(Pause(gap))
        steps.append(piece)
    return steps + body[first + count :]


def openai_reply(pieces: int = 6, ttft=TTFT, gap=GAP, **options) -> Reply:
    body = oa.stream_body([f"w{i} " for i in range(pieces)], **options)
    return Reply(200, scheduled(body, 1, pieces, ttft, gap), dict(oa.SSE))


def saved_requests(path: Path) -> list[dict]:
    return [item for item in read_jsonl(path.read_bytes()) if item["type"] == "bench_request"]


def server_log(server: FakeServer, request: dict) -> Received:
    (received,) = [
        r for r in server.received() if r.headers.get("x-request-id") == request["request_id"]
    ]
    return received


def wait_finished(server: FakeServer) -> None:
    assert server.wait_for(lambda: all(r.finished.is_set() for r in server.requests))


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    marks = sorted([(end, -1) for _, end in intervals] + [(start, 1) for start, _ in intervals])
    return max(itertools.accumulate(step for _, step in marks))


# -- accuracy ---------------------------------------------------------------------------


def test_ttft_icl_and_e2e_agree_with_the_server(server, tmp_path):
    server.route(oa.PATH, openai_reply(), method="POST")
    saved = tmp_path / "run.jsonl"
    done = bench(
        server,
        tmp_path,
        "--requests",
        "4",
        "--concurrency",
        "2",
        "--save",
        str(saved),
        "--json",
        "--slo",
        "ttft=1000,tpot=1000",
    )
    assert done.returncode == 0, done.stderr
    summary = read_jsonl(done.stdout)[-1]
    wait_finished(server)
    lines = read_jsonl(saved.read_bytes())
    origin = lines[0]["origin"]  # the run's start on CLOCK_MONOTONIC, which the server uses
    for request in saved_requests(saved):
        log = server_log(server, request)
        writes = [t for t, _ in log.writes]  # role chunk, 6 pieces, finish, usage, [DONE]
        sent = origin + request["sent"]
        measured = [sent + t for t in request["outputs"]]
        assert len(measured) == 6
        assert sent <= log.at + TOLERANCE  # TTFT starts when the request went out...
        # ...and ends at the first *content* chunk (the role chunk at 0 ms does not count):
        # every output's timestamp is the moment the server wrote it
        assert measured == pytest.approx(writes[1:7], abs=TOLERANCE)
        assert origin + request["final"] == pytest.approx(writes[-1], abs=TOLERANCE)  # [DONE]
    assert summary["type"] == "bench_summary"
    assert summary["requests"] == 4 and summary["errors"] == 0
    assert TTFT <= summary["ttft_ms"]["mean"] / 1000 <= TTFT + SCHEDULE_TOLERANCE
    assert summary["icl_ms"]["count"] == 4 * 5
    assert summary["icl_ms"]["mean"] / 1000 == pytest.approx(GAP, abs=SCHEDULE_TOLERANCE)
    assert summary["token_source"] == "server"  # usage.completion_tokens, 7 per answer
    assert summary["output_tokens"] == 4 * 7
    assert summary["tpot_ms"]["count"] == 4
    assert summary["good"] == 4 and summary["goodput"] > 0
    for key in ("ttft_ms", "tpot_ms", "icl_ms", "e2e_ms"):
        assert {"mean", "p50", "p90", "p99", "max"} <= summary[key].keys()
    assert summary["timestamps"] == ("kernel" if rxstamp.supported() else "read")


def test_without_server_counts_the_unit_is_chunks(server, tmp_path):
    server.route(oa.PATH, openai_reply(pieces=5, ttft=0.01, gap=0.005, usage=None), method="POST")
    done = bench(server, tmp_path, "--requests", "2", "--json")
    assert done.returncode == 0, done.stderr
    summary = read_jsonl(done.stdout)[-1]
    assert summary["token_source"] == "chunks"
    assert summary["output_tokens"] == 2 * 5


def test_ollama_stream_with_its_eval_count(server, tmp_path):
    body = ol.stream_body([f"w{i} " for i in range(4)], eval_count=9)
    reply = Reply(200, scheduled(body, 0, 4, ttft=0.1, gap=0.02), dict(ol.NDJSON))
    server.route(ol.PATH, reply, method="POST")
    done = bench(server, tmp_path, "--requests", "2", "--json", provider="ollama")
    assert done.returncode == 0, done.stderr
    summary = read_jsonl(done.stdout)[-1]
    assert summary["completed"] == 2
    assert summary["token_source"] == "server" and summary["output_tokens"] == 2 * 9
    assert 0.1 <= summary["ttft_ms"]["min"] / 1000 <= 0.1 + SCHEDULE_TOLERANCE


def test_anthropic_pings_and_message_start_are_not_output(server, tmp_path):
    body = an.stream_body([f"w{i} " for i in range(4)], output_tokens=11)
    # message_start, ping, content_block_start, then text deltas after the pause
    reply = Reply(200, scheduled(body, 3, 4, ttft=0.15, gap=0.02), dict(an.SSE))
    server.route("/v1/messages", reply, method="POST")
    done = bench(server, tmp_path, "--requests", "2", "--json", provider="anthropic")
    assert done.returncode == 0, done.stderr
    summary = read_jsonl(done.stdout)[-1]
    assert summary["token_source"] == "server" and summary["output_tokens"] == 2 * 11
    assert 0.15 <= summary["ttft_ms"]["min"] / 1000 <= 0.15 + SCHEDULE_TOLERANCE
    assert summary["icl_ms"]["count"] == 2 * 3


# -- load ---------------------------------------------------------------------------------


def test_concurrency_runs_requests_in_parallel(server, tmp_path):
    server.route(oa.PATH, openai_reply(pieces=4, ttft=0.15, gap=0.05), method="POST")
    saved = tmp_path / "run.jsonl"
    done = bench(server, tmp_path, "--requests", "8", "--concurrency", "4", "--save", str(saved))
    assert done.returncode == 0, done.stderr
    wait_finished(server)
    spans = [(r.at, r.writes[-1][0]) for r in server.received()]
    assert len(spans) == 8
    assert max_overlap(spans) == 4  # the server saw four at once, and never more
    client = [(r["sent"], r["done"]) for r in saved_requests(saved)]
    assert max_overlap(client) == 4


def test_poisson_arrivals_follow_the_seeded_schedule(server, tmp_path):
    server.route(oa.PATH, openai_reply(pieces=3, ttft=0.2, gap=0.05), method="POST")
    saved = tmp_path / "run.jsonl"
    done = bench(
        server, tmp_path, "--requests", "12", "--rate", "40", "--seed", "3", "--save", str(saved)
    )
    assert done.returncode == 0, done.stderr
    requests = saved_requests(saved)
    due = [r["scheduled"] - requests[0]["scheduled"] for r in requests]
    assert due == pytest.approx(poisson_offsets(12, 40.0, 3), abs=1e-5)
    for r in requests:  # sent when due (no cap: no queueing)
        assert r["started"] - r["scheduled"] == pytest.approx(0, abs=SCHEDULE_TOLERANCE)
    wait_finished(server)
    spans = [(r.at, r.writes[-1][0]) for r in server.received()]
    assert max_overlap(spans) > 1  # an open loop does not wait for answers


def test_warmup_requests_are_sent_but_not_counted(server, tmp_path):
    slow = openai_reply(pieces=3, ttft=0.5, gap=0.01)
    server.script(oa.PATH, slow, slow)
    server.route(oa.PATH, openai_reply(pieces=3, ttft=0.05, gap=0.01), method="POST")
    saved = tmp_path / "run.jsonl"
    done = bench(
        server, tmp_path, "--requests", "3", "--warmup", "2", "--json", "--save", str(saved)
    )
    assert done.returncode == 0, done.stderr
    summary = read_jsonl(done.stdout)[-1]
    assert len(server.received()) == 5
    assert summary["requests"] == 3
    assert summary["ttft_ms"]["count"] == 3
    assert summary["ttft_ms"]["max"] < 400  # the slow warm-ups are left out
    assert [r["warmup"] for r in saved_requests(saved)] == [True, True, False, False, False]


def test_connections_are_kept_alive(server, tmp_path):
    server.route(oa.PATH, openai_reply(pieces=2, ttft=0.01, gap=0.01), method="POST")
    saved = tmp_path / "run.jsonl"
    done = bench(server, tmp_path, "--requests", "3", "--save", str(saved))
    assert done.returncode == 0, done.stderr
    assert [r["reused"] for r in saved_requests(saved)] == [False, True, True]


def test_a_server_closing_each_connection_is_fine(server, tmp_path):
    reply = openai_reply(pieces=2, ttft=0.01, gap=0.01)
    reply.framing = "close"
    server.route(oa.PATH, reply, method="POST")
    saved = tmp_path / "run.jsonl"
    done = bench(server, tmp_path, "--requests", "3", "--save", str(saved))
    assert done.returncode == 0, done.stderr
    requests = saved_requests(saved)
    assert [r["error"] for r in requests] == [None] * 3
    assert [r["reused"] for r in requests] == [False, False, False]


# -- failures -----------------------------------------------------------------------------


def test_errors_are_counted_not_fatal(server, tmp_path):
    good = openai_reply(pieces=2, ttft=0.01, gap=0.01)
    midstream = oa.sse(
        [
            oa.event(oa.chunk("", role="assistant")),
            oa.event(oa.chunk("Hi")),
            oa.error_event("model crashed"),
        ]
    )
    cut = oa.sse([oa.event(oa.chunk("", role="assistant")), oa.event(oa.chunk("Hi")), Drop()])
    server.script(oa.PATH, oa.error(503, "overloaded"), midstream, cut)
    server.route(oa.PATH, good, method="POST")
    saved = tmp_path / "run.jsonl"
    done = bench(server, tmp_path, "--requests", "6", "--json", "--save", str(saved))
    assert done.returncode == 0, done.stderr
    summary = read_jsonl(done.stdout)[-1]
    assert summary["requests"] == 6
    assert summary["completed"] == 3 and summary["errors"] == 3
    assert summary["error_kinds"]["http"] == 1
    assert sum(summary["error_kinds"].values()) == 3
    assert summary["ttft_ms"]["count"] == 3  # only successful requests are in the figures
    errors = [r["error"] for r in saved_requests(saved)][:3]
    assert errors[0]["status"] == 503 and "overloaded" in errors[0]["message"]
    assert "model crashed" in errors[1]["message"]


def test_every_request_failing_is_status_1_with_one_line(tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = subprocess.run(
        [
            *STREAMCLI,
            "bench",
            "--url",
            f"http://127.0.0.1:{port}/v1",
            "-p",
            "openai",
            "-m",
            "m",
            "--requests",
            "3",
            "--json",
        ],
        capture_output=True,
        timeout=60,
        env=chat_env(tmp_path),
    )
    assert done.returncode == 1
    lines = done.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "all 3 requests failed" in lines[0]
    assert f"cannot connect to 127.0.0.1:{port}: connection refused" in lines[0]
    assert "Connect call failed" not in lines[0]
    items = read_jsonl(done.stdout)
    assert items[-1]["type"] == "bench_summary" and items[-1]["errors"] == 3
    assert items[-2]["type"] == "error" and items[-2]["kind"] == "connection"


def test_bad_slo_is_usage_error(server, tmp_path):
    done = bench(server, tmp_path, "--slo", "fast")
    assert done.returncode == 2
    assert done.stderr.decode().count("\n") == 1 and "--slo" in done.stderr.decode()
    assert not server.received()


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ctrl_c_or_sigterm_reports_what_was_measured(server, tmp_path, signum, status):
    server.route(oa.PATH, openai_reply(pieces=3, ttft=0.1, gap=0.05), method="POST")
    process = subprocess.Popen(
        [
            *STREAMCLI,
            "bench",
            "--url",
            server.url + "/v1",
            "-p",
            "openai",
            "-m",
            "m",
            "--requests",
            "100",
            "--json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=chat_env(tmp_path),
    )
    try:
        assert server.wait_for(lambda: len(server.requests) >= 3, timeout=30)
        process.send_signal(signum)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == status, err
    summary = read_jsonl(out)[-1]
    assert summary["type"] == "bench_summary"
    assert 2 <= summary["requests"] < 100 and summary["errors"] == 0
    assert b"Traceback" not in err


def test_compare_two_endpoint_runs(server, tmp_path):
    server.route(oa.PATH, openai_reply(pieces=3, ttft=0.02, gap=0.01), method="POST")
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    for path in (a, b):
        done = bench(server, tmp_path, "--requests", "2", "--save", str(path), "--json")
        assert done.returncode == 0, done.stderr
    result = subprocess.run(
        [*STREAMCLI, "bench", "--compare", str(a), str(b)],
        capture_output=True,
        timeout=60,
        env=chat_env(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert b"TTFT p50" in result.stdout and b"a.jsonl" in result.stdout
    mixed = tmp_path / "pipe.jsonl"
    mixed.write_bytes(orjson.dumps({"type": "bench_sink", "sink": "text"}) + b"\n")
    result = subprocess.run(
        [*STREAMCLI, "bench", "--compare", str(a), str(mixed)],
        capture_output=True,
        timeout=60,
        env=chat_env(tmp_path),
    )
    assert result.returncode == 2 and b"cannot compare" in result.stderr


# -- the clock ----------------------------------------------------------------------------


@pytest.mark.skipif(not rxstamp.supported(), reason="kernel receive timestamps are Linux-only")
def test_kernel_timestamps_are_arrival_times_even_when_the_client_is_busy():
    import asyncio

    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    class Receiver:
        def __init__(self):
            self.reads: list[tuple[float, bytes, bool]] = []

        def connection_made(self, transport):
            pass

        def received_at(self, t, data, kernel=False):
            self.reads.append((t, data, kernel))

        def eof_received(self):
            pass

        def connection_lost(self, exc):
            pass

    async def main():
        assert switch.on()
        receiver = Receiver()
        transport = await rxstamp.open_connection("127.0.0.1", port, receiver, time.perf_counter)
        peer, _ = listener.accept()
        sent = time.perf_counter()
        peer.sendall(b"hello")
        time.sleep(0.2)  # the client is busy: the loop cannot read for 200 ms
        await asyncio.sleep(0.05)
        transport.close()
        peer.close()
        return sent, receiver.reads

    switch = rxstamp.Switch()
    try:
        sent, reads = asyncio.run(main())
    finally:
        switch.off()
        listener.close()
    ((t, data, kernel),) = reads
    assert data == b"hello" and kernel
    assert t - sent == pytest.approx(0, abs=0.02)  # not 200 ms later


# -- other transports -------------------------------------------------------------------


def test_reads_timed_by_the_event_loop_give_the_same_figures(server):
    """The path TLS and other systems take (here forced over plain HTTP)."""
    from streamcli.bench.endpoint_mode import LoadOptions, run_endpoint, summarize
    from streamcli.sources.chat.protocols.openai import OpenAI
    from streamcli.sources.chat.request import ChatRequest

    server.route(oa.PATH, openai_reply(pieces=4, ttft=0.05, gap=0.01), method="POST")
    request = ChatRequest.from_prompt("hi", model="m")
    load = LoadOptions(requests=4, concurrency=2)
    run = run_endpoint(OpenAI(server.url + "/v1"), request, load, kernel_timestamps=False)
    summary = summarize(run.records)
    assert run.timestamps == "read"
    assert summary["completed"] == 4 and summary["icl_ms"]["count"] == 4 * 3
    assert summary["ttft_ms"]["min"] >= 50


class TlsProxy:
    """TLS on 127.0.0.1 in front of a plain server: bytes pumped both ways."""

    def __init__(self, backend: int, cert: Path, key: Path) -> None:
        import ssl
        import threading

        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.backend = backend
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        import threading

        while True:
            try:
                raw, _ = self.listener.accept()
            except OSError:  # closed
                return
            try:
                client = self.context.wrap_socket(raw, server_side=True)
            except OSError:  # the client refused the certificate
                raw.close()
                continue
            upstream = socket.create_connection(("127.0.0.1", self.backend))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a certificate")
def test_https_endpoints(server, tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    server.route(oa.PATH, openai_reply(pieces=3, ttft=0.05, gap=0.01), method="POST")
    proxy = TlsProxy(server.port, cert, key)
    url = f"https://localhost:{proxy.port}/v1"
    args = ["bench", "--url", url, "-p", "openai", "-m", "m", "--requests", "3", "--json"]
    done = subprocess.run(
        [*STREAMCLI, *args],
        capture_output=True,
        timeout=60,
        env=chat_env(tmp_path, SSL_CERT_FILE=str(cert)),
    )
    assert done.returncode == 0, done.stderr
    summary = read_jsonl(done.stdout)[-1]
    assert summary["completed"] == 3 and summary["timestamps"] == "read"
    assert summary["ttft_ms"]["min"] >= 50
    untrusted = subprocess.run(
        [*STREAMCLI, *args], capture_output=True, timeout=60, env=chat_env(tmp_path)
    )
    assert untrusted.returncode == 1
    assert read_jsonl(untrusted.stdout)[-1]["error_kinds"] == {"tls": 3}
    proxy.listener.close()


def test_on_a_terminal_tables_and_histograms(server, tmp_path):
    from ptyterm import PtyTerminal

    server.route(oa.PATH, openai_reply(pieces=4, ttft=0.05, gap=0.01), method="POST")
    args = ["bench", "--url", server.url + "/v1", "-p", "openai", "-m", "m", "--requests", "4"]
    env = {"XDG_CONFIG_HOME": str(tmp_path), "NO_PROXY": "*"}
    with PtyTerminal(args, columns=110, rows=60, env=env) as term:
        assert term.wait_exit() == 0
        screen = term.text()
    for needle in ("TTFT", "TPOT (per token)", "ICL", "E2E", "4 (4 completed, 0 failed)"):
        assert needle in screen
    assert "inter-chunk latency" in screen  # the histogram
    assert not term.cursor_hidden


def test_a_key_echoed_by_the_server_is_never_printed(server, tmp_path):
    key = "sk-test-0123456789abcdefghijklmnop"
    other = "another-secret-9876543210zyxwvu"  # a key streamcli knows of, not the one in use
    server.route(oa.PATH, oa.error(401, f"invalid key {key}, not {other}"), method="POST")
    saved = tmp_path / "run.jsonl"
    args = ["bench", "--url", server.url + "/v1", "-p", "openai", "-m", "m", "--requests", "2"]
    for extra in (["--json", "--save", str(saved)], []):
        done = subprocess.run(
            [*STREAMCLI, *args, *extra],
            capture_output=True,
            timeout=60,
            env=chat_env(tmp_path, OPENAI_API_KEY=key, ANTHROPIC_API_KEY=other),
        )
        assert done.returncode == 1
        for blob in (done.stdout, done.stderr, saved.read_bytes()):
            for secret in (key, other):
                assert secret.encode() not in blob and secret[-12:].encode() not in blob
    assert server.received()[0].headers["authorization"] == f"Bearer {key}"  # it was sent
    assert b"[redacted]" in saved.read_bytes()


# -- into pipes ----------------------------------------------------------------------------


def test_empty_answers_are_counted_and_said(server, tmp_path):
    server.route(oa.PATH, openai_reply(pieces=0, ttft=0.01, gap=0.005), method="POST")
    done = bench(server, tmp_path, "--requests", "3")
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode()
    assert "3 (3 completed, 3 of them empty, 0 failed)" in out
    assert not [line for line in out.splitlines() if line != line.rstrip()]
    summary = read_jsonl(bench(server, tmp_path, "--requests", "2", "--json").stdout)[-1]
    assert summary["empty"] == 2


def test_compare_names_the_unit_the_runs_counted(server, tmp_path):
    server.route(oa.PATH, openai_reply(pieces=3, ttft=0.01, gap=0.005, usage=None), method="POST")
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    for path in (a, b):
        assert bench(server, tmp_path, "--requests", "2", "--save", str(path)).returncode == 0
    result = subprocess.run(
        [*STREAMCLI, "bench", "--compare", str(a), str(b)],
        capture_output=True,
        timeout=60,
        env=chat_env(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert b"output chunks/s" in result.stdout and b"output tokens/s" not in result.stdout
