"""MCP servers in an interactive session: started once, up across the turns, shut down
when the session ends."""

from __future__ import annotations

import pytest
from mcp_support import gone, marker, processes_with, tools_server, write_config
from servers import FakeServer
from servers import openai as oa
from session_support import open_session, type_line, wait_prompt


@pytest.fixture
def server():
    with FakeServer() as server:
        yield server


def test_servers_stay_up_across_turns_and_end_with_the_session(server, tmp_path):
    word = marker()
    write_config(tmp_path / "config", {"test": tools_server(word, trust=True)})
    server.script(
        oa.PATH,
        oa.tool_calls([("c1", "test__echo", {"text": "one"})]),
        oa.stream(["First done."]),
        oa.tool_calls([("c2", "test__echo", {"text": "two"})]),
        oa.stream(["Second done."]),
    )
    with open_session(server, tmp_path, "--mcp", "test") as term:
        wait_prompt(term, 1)
        started = processes_with(word)
        assert started  # up before the first turn
        type_line(term, "/tools")
        term.wait_for_text("test__echo")
        type_line(term, "first")
        term.wait_for_text("First done.")
        wait_prompt(term, 3)
        type_line(term, "second")
        term.wait_for_text("Second done.")
        wait_prompt(term, 4)
        assert processes_with(word) == started  # the same server, both turns
        term.write(b"\x04")
        assert term.wait_exit() == 0
        assert term.text().count("✓ test__echo") == 2
    assert gone(word)
    results = [m for m in server.received(oa.PATH)[3].json()["messages"] if m["role"] == "tool"]
    assert [m["content"] for m in results] == ["echo: one", "echo: two"]


def test_the_local_model_refuses_mcp_servers_before_any_starts(server, tmp_path):
    word = marker()
    write_config(tmp_path / "config", {"test": tools_server(word)})
    with open_session(server, tmp_path, "-p", "local", "--mcp", "test") as term:
        assert term.wait_exit() == 2
        assert "streamcli: error: --mcp: the local model cannot call tools" in term.text()
    assert not processes_with(word) and not server.received()
