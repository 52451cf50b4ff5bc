"""streamcli's own events over SSE: a chat saved and continued, a `--tail` file followed,
recordings replayed, the history as JSON."""

from __future__ import annotations

import time

import httpx
import orjson
import pytest
from conftest import run_cli, write_jsonl
from serve_support import chat_stream, events_of, serving
from servers import FakeServer
from servers import openai as oa

from streamcli import events as ev


@pytest.fixture
def upstream():
    with FakeServer() as server:
        yield server


def test_a_chat_streams_the_json_events_and_is_saved_and_continued(upstream, tmp_path):
    upstream.script(oa.PATH, oa.stream(["Paris", "."]), oa.stream(["Yes", "!"]))
    with serving(home=tmp_path, upstream=upstream.url) as served:
        first = chat_stream(served, {"prompt": "capital of France?"})
        assert first.status_code == 200
        assert first.headers["content-type"].startswith("text/event-stream")
        said = events_of(first.read())
        assert said[0]["type"] == "start" and said[-1]["type"] == "end"
        assert all(ev.problem(e) is None for e in said)
        assert "".join(e["text"] for e in said if e["type"] == "text") == "Paris."
        number = int(first.headers["x-conversation"])
        second = chat_stream(served, {"prompt": "sure?", "conversation": number})
        assert second.headers["x-conversation"] == str(number)
        listed = httpx.get(served.url + "api/history").json()["conversations"]
        whole = httpx.get(served.url + f"api/history/{number}").json()
        missing = httpx.get(served.url + "api/history/999")
        huge = httpx.get(served.url + "api/history/" + "9" * 30)  # past SQLite's INTEGER
    assert huge.status_code == 404 and huge.json()["error"]["message"]
    assert [c["id"] for c in listed] == [number] and listed[0]["exchanges"] == 2
    assert [x["prompt"] for x in whole["exchanges"]] == ["capital of France?", "sure?"]
    assert [x["status"] for x in whole["exchanges"]] == ["complete", "complete"]
    assert missing.status_code == 404
    resent = upstream.received(oa.PATH)[1].json()["messages"]
    assert [m["content"] for m in resent] == ["capital of France?", "Paris.", "sure?"]


def test_no_history_saves_nothing_and_bad_requests_are_400(upstream, tmp_path):
    upstream.script(oa.PATH, oa.stream(["ok"]))
    with serving("--no-history", home=tmp_path, upstream=upstream.url) as served:
        answer = chat_stream(served, {"prompt": "q"})
        assert "x-conversation" not in answer.headers
        assert httpx.get(served.url + "api/history").json() == {"conversations": []}
        huge = {"prompt": "q", "conversation": 10**30}
        for body in ({}, {"prompt": ""}, {"prompt": "q", "conversation": "x"}, [1], huge):
            refused = httpx.post(served.url + "api/chat", json=body, timeout=10)
            assert refused.status_code == 400 and refused.json()["error"]["message"]
        unknown = httpx.post(served.url + "api/chat", json={"prompt": "q", "conversation": 7})
        assert unknown.status_code == 404


def test_a_tail_file_is_followed_and_nothing_else_can_be_read(tmp_path):
    log = tmp_path / "app.log"
    log.write_text("one\ntwo\n")
    (tmp_path / "secret.txt").write_text("no\n")
    with serving("--tail", str(log), "-p", "ollama", home=tmp_path) as served:
        info = httpx.get(served.url + "api/info").json()
        assert info["tails"] == ["app.log"]
        for name in ("secret.txt", "../secret.txt", str(tmp_path / "secret.txt"), ""):
            refused = httpx.get(served.url + "api/tail", params={"file": name}, timeout=10)
            assert refused.status_code == 404
        seen: list[str] = []
        with httpx.stream("GET", served.url + "api/tail?file=app.log", timeout=30) as response:
            assert response.status_code == 200
            lines = response.iter_lines()
            appended = False
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and "three" not in seen:
                line = next(lines)
                if line.startswith("data: "):
                    event = orjson.loads(line[6:])
                    if event["type"] == "line":
                        seen.append(event["text"])
                if seen == ["one", "two"] and not appended:
                    with log.open("a") as out:
                        out.write("three\n")
                    appended = True
    assert seen == ["one", "two", "three"]


def test_a_recording_that_is_not_there_is_refused_at_start(tmp_path):
    done = run_cli("serve", "--port", "0", "-p", "ollama", "--replay", str(tmp_path / "no.jsonl"))
    said = done.stderr.decode()
    assert done.returncode == 2 and "--replay" in said and "does not exist" in said


def test_a_recording_named_at_start_or_sent_is_replayed(tmp_path):
    recording = write_jsonl(
        tmp_path / "answer.jsonl",
        [
            ev.start(0.0, "chat"),
            ev.text(0.05, "Hello "),
            ev.text(0.1, "again"),
            ev.end(0.15, "stop"),
        ],
    )
    with serving("--replay", str(recording), "-p", "ollama", home=tmp_path) as served:
        named = httpx.get(served.url + "api/replay", params={"file": "answer.jsonl"}, timeout=30)
        sent = httpx.post(
            served.url + "api/replay?speed=4", content=recording.read_bytes(), timeout=30
        )
        unknown = httpx.get(served.url + "api/replay", params={"file": "nope"}, timeout=10)
        broken = httpx.post(served.url + "api/replay", content=b"not a recording\x00", timeout=10)
        bad_line = recording.read_bytes().replace(b'"again"', b'"again"}{', 1)  # line 3 broken
        malformed = httpx.post(served.url + "api/replay?speed=0", content=bad_line, timeout=10)
        speeds = [
            httpx.get(served.url + "api/replay", params={"file": "answer.jsonl", "speed": odd})
            for odd in ("-1", "nan", "inf", "fast")
        ]
    for response in (named, sent):
        assert response.status_code == 200
        said = events_of(response.content)
        assert "".join(e.get("text", "") for e in said if e["type"] == "text") == "Hello again"
        assert said[-1]["type"] == "end"
    assert unknown.status_code == 404
    # plain text is replayed as text; the point is an answer, not a crash
    assert broken.status_code == 200 and events_of(broken.content)[-1]["type"] == "end"
    # a recording sent with a bad line: what came before it, then the error and the end
    said = events_of(malformed.content)
    assert [e["type"] for e in said] == ["start", "text", "error", "end"], said
    assert "line 3" in said[2]["message"] and said[3]["reason"] == "error"
    assert [r.status_code for r in speeds] == [400] * 4
