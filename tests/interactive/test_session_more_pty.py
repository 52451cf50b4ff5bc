"""A session with tools (approval on the terminal), --record, -c, and a resize."""

from __future__ import annotations

import sys

import orjson
import pytest
from conftest import run_cli
from servers import FakeServer
from servers import openai as oa
from session_support import open_session, type_line, wait_prompt

QUESTION = "Allow this call? [y/N]"


@pytest.fixture
def server():
    with FakeServer() as server:
        yield server


def test_a_tool_call_is_approved_inside_the_session(server, tmp_path):
    marker = tmp_path / "deployed"
    tools = tmp_path / "config" / "streamcli" / "tools.toml"
    tools.parent.mkdir(parents=True)
    code = f"import sys, json; open({str(marker)!r}, 'w').write(json.load(sys.stdin)['to'])"
    tools.write_text(
        '[deploy]\ndescription = "Deploy the site"\n'
        f"command = {orjson.dumps([sys.executable, '-c', code]).decode()}\n"
        'parameters = { type = "object", properties = { to = { type = "string" } } }\n'
    )
    server.script(
        oa.PATH,
        oa.tool_calls([("c1", "deploy", {"to": "prod"})], text="Deploying."),
        oa.stream(["All ", "done."]),
        oa.stream(["Still here."]),
    )
    with open_session(server, tmp_path, "--tool", "deploy") as term:
        wait_prompt(term, 1)
        type_line(term, "/tools")
        term.wait_for_text("deploy  Deploy the site")
        type_line(term, "deploy it")
        term.wait_for_text(QUESTION)
        term.write(b"y\r")
        term.wait_for_text("All done.")
        wait_prompt(term, 3)
        type_line(term, "thanks")
        term.wait_for_text("Still here.")
        wait_prompt(term, 4)
        term.write(b"\x04")
        assert term.wait_exit() == 0
        assert "✓ deploy" in term.text()
    assert marker.read_text() == "prod"
    third = server.received(oa.PATH)[2].json()["messages"]
    assert [m["role"] for m in third] == ["user", "assistant", "tool", "assistant", "user"]


def test_record_every_turn_then_replay_and_continue(server, tmp_path):
    server.script(oa.PATH, oa.stream(["First."]), oa.stream(["Second."]), oa.stream(["Third."]))
    recording = tmp_path / "session.jsonl"
    with open_session(server, tmp_path, "--record", str(recording)) as term:
        wait_prompt(term, 1)
        type_line(term, "one")
        term.wait_for_text("First.")
        wait_prompt(term, 2)
        type_line(term, "two")
        term.wait_for_text("Second.")
        wait_prompt(term, 3)
        term.write(b"\x04")
        assert term.wait_exit() == 0
    kinds = [orjson.loads(line)["type"] for line in recording.read_bytes().splitlines()]
    assert kinds.count("start") == 2 and kinds.count("end") == 2
    assert kinds[0] == "start" and kinds[-1] == "end"
    replayed = run_cli("replay", str(recording), "--speed", "0")
    assert replayed.returncode == 0
    assert b"First." in replayed.stdout and b"Second." in replayed.stdout
    with open_session(server, tmp_path, "-c") as term:  # continue the last conversation
        wait_prompt(term, 1)
        type_line(term, "three")
        term.wait_for_text("Third.")
        wait_prompt(term, 2)
        term.write(b"\x04")
        assert term.wait_exit() == 0
    contents = [m["content"] for m in server.received(oa.PATH)[2].json()["messages"]]
    assert contents == ["one", "First.", "two", "Second.", "three"]


def test_a_resize_at_the_prompt_and_during_an_answer(server, tmp_path):
    words = [f"word{i} " for i in range(60)]
    server.script(oa.PATH, oa.stream(words, pause=0.01), oa.stream(["Narrow."]))
    with open_session(server, tmp_path, columns=100) as term:
        wait_prompt(term, 1)
        term.resize(60, 24)
        type_line(term, "long")
        term.wait_for_text("word5")
        term.resize(40, 20)
        term.wait_for_text("word59")
        wait_prompt(term, 2)
        type_line(term, "x" * 50)  # wraps at the new width
        term.wait_for_text("Narrow.")
        wait_prompt(term, 3)
        term.write(b"\x04")
        assert term.wait_exit() == 0
        assert all(len(row) <= 40 for row in term.display())
    assert server.received(oa.PATH)[1].json()["messages"][-1]["content"] == "x" * 50
