"""`bench` sends a UUID as X-Request-ID (llama-cpp-python's OpenAI-compatible server
rejects anything else with a bare 400), and an empty 4xx answer names the request and
what was sent."""

from __future__ import annotations

import subprocess
import uuid

from chat_support import chat_env
from conftest import STREAMCLI, read_jsonl
from servers import FakeServer, Reply
from servers import openai as oa


def bench(server: FakeServer, home, *args: str):
    target = ["--url", server.url + "/v1", "--provider", "openai", "--model", "m"]
    return subprocess.run(
        [*STREAMCLI, "bench", *target, *args],
        capture_output=True,
        timeout=90,
        env=chat_env(home, OPENAI_API_KEY="sk-test-0123456789abcdef"),
    )


def test_every_request_carries_its_own_uuid(tmp_path):
    with FakeServer() as server:
        server.route(oa.PATH, oa.stream(["a", "b"]), method="POST")
        done = bench(server, tmp_path, "--requests", "4", "--json")
        ids = [r.headers.get("x-request-id", "") for r in server.received(oa.PATH)]
    assert done.returncode == 0, done.stderr
    assert len(ids) >= 4 and len(set(ids)) == len(ids)
    assert all(str(uuid.UUID(value)) == value for value in ids)


def test_an_empty_4xx_answer_says_which_request_and_what_was_sent(tmp_path):
    saved = tmp_path / "run.jsonl"
    with FakeServer() as server:
        server.route(oa.PATH, Reply(400, [], {}, framing="length"), method="POST")
        done = bench(server, tmp_path, "--requests", "2", "--json", "--save", str(saved))
        sent_ids = [r.headers["x-request-id"] for r in server.received(oa.PATH)]
    assert "Traceback" not in done.stderr.decode()
    requests = [item for item in read_jsonl(saved.read_bytes()) if item["type"] == "bench_request"]
    messages = [r["error"]["message"] for r in requests]
    for message in messages:
        assert "HTTP 400 with an empty body" in message and "no detail" not in message
        assert "for request " in message and f"POST {server.url}/v1/chat/completions" in message
        assert "X-Request-ID" in message and "model" in message and "messages" in message
    assert any(sent in message for sent in sent_ids for message in messages)
