"""Tool calls through `serve`: approved by the page that asked (and by nobody else), denied
for an OpenAI client (the model is told why)."""

from __future__ import annotations

import sys

import httpx
import orjson
import pytest
from serve_support import events_of, serving
from servers import FakeServer
from servers import openai as oa


@pytest.fixture
def upstream():
    with FakeServer() as server:
        yield server


def user_tool(home, name="deploy"):
    config = home / "streamcli"
    config.mkdir(exist_ok=True)
    command = orjson.dumps([sys.executable, "-c", "print('deployed')"]).decode()
    (config / "tools.toml").write_text(f'[{name}]\ndescription = "d"\ncommand = {command}\n')


def tool_results(upstream) -> list[str]:
    messages = upstream.requests[-1].json()["messages"]
    return [m["content"] for m in messages if m["role"] == "tool"]


def asked_then(page: httpx.Client, answer) -> list[dict]:
    """Ask the page's question; `answer(question)` is called once the approval event
    came; the whole stream's events."""
    seen = b""
    with page.stream("POST", "/api/chat", json={"prompt": "ship it"}) as response:
        chunks = response.iter_bytes()
        while b"event: approval" not in seen:
            seen += next(chunks)
        [question] = [e for e in events_of(seen) if e["type"] == "approval"]
        answer(question)
        seen += b"".join(chunks)
    return events_of(seen)


def test_the_page_that_asked_approves_and_nobody_else_can(upstream, tmp_path):
    user_tool(tmp_path)
    upstream.script(
        oa.PATH, oa.tool_calls([("c1", "deploy", {"to": "prod"})]), oa.stream(["Done."])
    )
    with serving("--tool", "deploy", home=tmp_path, upstream=upstream.url) as served:
        page = httpx.Client(base_url=served.url, timeout=30)
        page.get("/")  # the page: its session cookie
        assert page.cookies.get("streamcli_session")
        stranger = httpx.Client(base_url=served.url, timeout=30)
        stranger.get("/")

        def approve(question: dict) -> None:
            assert question["name"] == "deploy" and question["arguments"] == {"to": "prod"}
            assert "command:" in question["what"]
            answer = {"id": question["id"], "approve": True}
            assert stranger.post("/api/approve", json=answer).status_code == 404
            assert httpx.post(served.url + "api/approve", json=answer).status_code == 404
            assert page.post("/api/approve", json=answer).status_code == 204

        said = asked_then(page, approve)
    [ended] = [e for e in said if e["type"] == "tool_end"]
    assert ended["ok"] and ended["output"].strip() == "deployed"
    assert "".join(e["text"] for e in said if e["type"] == "text") == "Done."
    assert tool_results(upstream) == ["deployed\n"]


def test_a_denied_call_is_told_to_the_model(upstream, tmp_path):
    user_tool(tmp_path)
    upstream.script(oa.PATH, oa.tool_calls([("c1", "deploy", {})]), oa.stream(["Okay."]))
    with serving("--tool", "deploy", home=tmp_path, upstream=upstream.url) as served:
        page = httpx.Client(base_url=served.url, timeout=30)
        page.get("/")
        said = asked_then(
            page, lambda q: page.post("/api/approve", json={"id": q["id"], "approve": False})
        )
    [ended] = [e for e in said if e["type"] == "tool_end"]
    assert not ended["ok"] and ended["output"] == "denied by the user"
    assert tool_results(upstream) == ["The call failed: denied by the user"]


def test_an_openai_client_cannot_approve_so_the_call_is_denied(upstream, tmp_path):
    user_tool(tmp_path)
    upstream.script(oa.PATH, oa.tool_calls([("c1", "deploy", {})]), oa.stream(["No luck."]))
    with serving("--tool", "deploy", home=tmp_path, upstream=upstream.url) as served:
        answer = httpx.post(
            served.url + "v1/chat/completions",
            json={"model": "m", "messages": [{"role": "user", "content": "ship it"}]},
            timeout=30,
        )
    assert answer.status_code == 200
    assert answer.json()["choices"][0]["message"]["content"] == "No luck."
    [told] = tool_results(upstream)
    assert told.startswith("The call failed: denied: an OpenAI client cannot approve")
