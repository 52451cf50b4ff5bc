"""Stopping `serve` with streams open, and many streams at once: each open stream gets its
`end` (reason interrupted), the process exits with the signal's status and leaves no MCP
server behind; a client that stops reading holds up nobody else."""

from __future__ import annotations

import signal
import socket
import threading
import time

import httpx
import orjson
import pytest
from mcp_support import gone, marker, tools_server, write_config
from serve_support import body_of, events_of, serving
from servers import FakeServer
from servers import openai as oa
from servers.http import Pause, Trickle
from test_disconnect import open_request, read_until

HALF = oa.sse([*oa.stream_body(["Half."], finish=None, usage=None, done=False), Pause(60)])


@pytest.fixture
def upstream():
    with FakeServer() as server:
        yield server


def read_all(client: socket.socket) -> bytes:
    seen = b""
    while piece := client.recv(65536):
        seen += piece
    return seen


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_stop_signal_ends_every_open_stream_then_the_server(upstream, tmp_path, signum, status):
    word = marker()
    write_config(tmp_path, {"tools": tools_server(word)})
    upstream.script(oa.PATH, HALF, HALF)
    args = ("--mcp", "tools", "--approve")
    with serving(*args, home=tmp_path, upstream=upstream.url) as served:
        clients = [open_request(served.url, "/api/chat", {"prompt": "q"}) for _ in range(2)]
        seen = [read_until(client, b"Half.") for client in clients]
        assert not gone(word, within=0.1)  # the MCP server is up
        started = time.monotonic()
        assert served.stop(signum) == status
        took = time.monotonic() - started
        seen = [early + read_all(client) for early, client in zip(seen, clients, strict=True)]
        log = served.log
    for body in seen:
        said = events_of(body_of(body))
        assert said[-1]["type"] == "end" and said[-1]["reason"] == "interrupted"
    assert took < 10, took  # a hang, not a slow machine: it takes about a second
    assert gone(word), "the MCP server outlived serve"
    assert "Traceback" not in log
    for request in upstream.requests:
        assert request.client_gone.is_set()


def test_an_openai_stream_the_server_cut_is_not_a_whole_answer(upstream, tmp_path):
    """Stopped mid-answer, `/v1` ends the stream with an error, not `stop` and `[DONE]`: a
    client that reads only the choices must not take half an answer for a whole one."""
    upstream.script(oa.PATH, HALF)
    with serving(home=tmp_path, upstream=upstream.url) as served:
        body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "q"}]}
        client = open_request(served.url, "/v1/chat/completions", body)
        seen = read_until(client, b"Half.")
        assert served.stop(signal.SIGTERM) == 143
        seen += read_all(client)
    said = [line[6:] for line in body_of(seen).decode().splitlines() if line.startswith("data: ")]
    assert "[DONE]" not in said
    last = orjson.loads(said[-1])
    assert last["error"]["code"] == "interrupted" and "incomplete" in last["error"]["message"]
    finishes = [c["choices"][0]["finish_reason"] for c in map(orjson.loads, said[:-1])]
    assert set(finishes) == {None}


def test_a_client_that_stops_reading_holds_up_nobody(upstream, tmp_path):
    piece = oa.event(oa.chunk("x" * 4000 + "."))
    endless = oa.sse([oa.event(oa.chunk("", role="assistant")), Trickle(piece, every=0.0005)])
    upstream.script(oa.PATH, endless, *[oa.stream(["small."]) for _ in range(8)])
    with serving(home=tmp_path, upstream=upstream.url) as served:
        sleeper = open_request(served.url, "/api/chat", {"prompt": "flood"})
        read_until(sleeper, b"xxxx")  # then it reads no more
        results: list[str] = []

        def ask() -> None:
            answer = httpx.post(served.url + "api/chat", json={"prompt": "q"}, timeout=30)
            results.append("".join(e["text"] for e in events_of(answer.content) if "text" in e))

        askers = [threading.Thread(target=ask) for _ in range(8)]
        for asker in askers:
            asker.start()
        for asker in askers:
            asker.join(60)
        assert results == ["small."] * 8
        # Once the buffers on the way are full, the upstream is held back (TCP), not read
        # into memory: its writes stop.
        flood, deadline = upstream.requests[0], time.monotonic() + 60
        while time.monotonic() < deadline:
            before = len(flood.writes)
            time.sleep(1)
            if len(flood.writes) <= before + 1:
                break
        else:
            raise AssertionError("the upstream kept being read for a client that reads nothing")
        sleeper.close()
        # what waited for it was bounded: its upstream was held back, and is let go now
        assert not upstream.requests[0].finished.is_set()
        assert upstream.requests[0].client_gone.wait(15)
