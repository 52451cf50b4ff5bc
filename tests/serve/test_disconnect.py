"""A client that goes away cancels its work: before the first token, mid-answer, during a
tool call — on every endpoint, streamed or not. The upstream sees its connection closed
(or the tool is killed) and the history records the turn as interrupted."""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import orjson
import pytest
from serve_support import serving
from servers import FakeServer
from servers import openai as oa
from servers.http import Pause, Reply

GONE_WITHIN = 10.0  # seconds: catches a cancel that never comes, not a slow one


@pytest.fixture
def upstream():
    with FakeServer() as server:
        yield server


def open_request(url: str, path: str, body: dict) -> socket.socket:
    """A raw client: the request sent, nothing read yet."""
    parts = urlsplit(url)
    client = socket.create_connection((parts.hostname, parts.port), timeout=30)
    data = orjson.dumps(body)
    client.sendall(
        f"POST {path} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n".encode()
        + data
    )
    return client


def read_until(client: socket.socket, marker: bytes) -> bytes:
    seen = b""
    while marker not in seen:
        piece = client.recv(65536)
        assert piece, seen
        seen += piece
    return seen


def statuses(home: Path) -> list[str]:
    """The exchanges' statuses in the server's history, once each has ended."""
    import sqlite3

    from streamcli.history.store import history_path

    path = history_path({"XDG_DATA_HOME": str(home / "data")})
    deadline = time.monotonic() + GONE_WITHIN
    while True:
        try:  # read only: never made here, before the server makes it
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
                rows = [row[0] for row in db.execute("SELECT status FROM exchanges ORDER BY id")]
        except sqlite3.OperationalError:  # not there yet
            rows = []
        # The recorder writes in a thread of its own: the row may not be there yet.
        if (rows and "running" not in rows) or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


ASK = {"prompt": "q"}
V1 = {"model": "m", "messages": [{"role": "user", "content": "q"}]}
WINDOWS = {
    # the upstream thinks before its headers; the client leaves before any token
    "before the first token": (Reply(200, [Pause(60)], dict(oa.SSE), delay=60), None),
    # the upstream's headers, then nothing: the client leaves while it thinks
    "after the headers": (oa.sse([Pause(60)]), None),
    # a first token, then nothing: the client leaves mid-answer
    "mid-answer": (oa.sse([*oa.stream_body(["Half."], finish=None, usage=None, done=False),
                           Pause(60)]), b"Half."),
}  # fmt: skip


@pytest.mark.parametrize("window", list(WINDOWS))
@pytest.mark.parametrize(
    ("path", "body"),
    [("/api/chat", ASK), ("/v1/chat/completions", {**V1, "stream": True}),
     ("/v1/chat/completions", V1)],
    ids=["events", "openai-stream", "openai-whole"],
)  # fmt: skip
def test_a_client_leaving_closes_the_upstream_request(upstream, tmp_path, window, path, body):
    reply, first = WINDOWS[window]
    upstream.script(oa.PATH, reply)
    with serving(home=tmp_path, upstream=upstream.url) as served:
        client = open_request(served.url, path, body)
        assert upstream.wait_for(lambda: len(upstream.requests) == 1)
        streamed = path == "/api/chat" or body.get("stream")
        if first is not None and streamed:
            read_until(client, first)  # the client has seen the first token
        elif first is not None:  # a whole answer: the upstream has sent its first token
            assert upstream.wait_for(lambda: len(upstream.requests[0].writes) >= 2)
        client.close()
        asked = upstream.requests[0]
        assert asked.client_gone.wait(GONE_WITHIN), "the upstream request stayed open"
        if path == "/api/chat":
            assert statuses(tmp_path) == ["interrupted"]
        assert served.process.poll() is None  # the server goes on


def test_a_client_leaving_during_a_tool_call_kills_the_tool(upstream, tmp_path):
    marker = tmp_path / "tool.pid"
    code = (
        "import os, sys, time\n"
        f"open({str(marker)!r}, 'w').write(str(os.getpid()))\n"
        "time.sleep(120)\n"
    )
    config = tmp_path / "streamcli"
    config.mkdir()
    command = orjson.dumps([sys.executable, "-c", code]).decode()
    (config / "tools.toml").write_text(f'[slow]\ndescription = "slow"\ncommand = {command}\n')
    upstream.script(oa.PATH, oa.tool_calls([("c1", "slow", {})]), oa.stream(["never"]))
    with serving("--tool", "slow", "--approve", home=tmp_path, upstream=upstream.url) as served:
        client = open_request(served.url, "/api/chat", ASK)
        read_until(client, b"event: tool_start")
        deadline = time.monotonic() + GONE_WITHIN
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        pid = int(marker.read_text())
        client.close()
        assert statuses(tmp_path) == ["interrupted"]
        deadline = time.monotonic() + GONE_WITHIN
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not _alive(pid), "the tool outlived its client"
        assert len(upstream.received(oa.PATH)) == 1  # nothing was asked after the tool
        again = httpx.post(served.url + "v1/models", timeout=10)
        assert again.status_code == 405  # the server still answers


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
