"""MCP tools on a real terminal (a pty read with pyte): the approval question names the
server and its tool, and the spinner line shows the server's progress notifications."""

from __future__ import annotations

from pathlib import Path

import pytest
from chat_support import CHAT_VARIABLES
from mcp_support import tools_server, write_config
from ptyterm import PtyTerminal
from servers import FakeServer
from servers import openai as oa

from streamcli.sinks.spinner import FRAMES

QUESTION = "Allow this call? [y/N]"


@pytest.fixture
def server():
    with FakeServer() as server:
        yield server


def start(server: FakeServer, home: Path) -> PtyTerminal:
    env = {name: "" for name in CHAT_VARIABLES}
    env.update(
        XDG_CONFIG_HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        XDG_STATE_HOME=str(home / "state"),
        OPENAI_API_KEY="sk-test-0123456789",
        NO_PROXY="*",
    )
    args = ["chat", "count", "-m", "m", "--base-url", server.url + "/v1", "--mcp", "test"]
    cwd = home / "work"
    cwd.mkdir(exist_ok=True)
    return PtyTerminal(args, env=env, cwd=str(cwd), columns=100)


def test_the_question_names_the_server_and_the_spinner_shows_progress(server, tmp_path):
    write_config(tmp_path, {"test": tools_server()})
    calls = oa.tool_calls([("c1", "test__slow", {"steps": 8, "pause": 0.25})], text="Counting.")
    server.script(oa.PATH, calls, oa.stream(["Counted."]))
    with start(server, tmp_path) as term:
        term.wait_for_text(QUESTION)
        text = term.text()
        assert "the model asks to run the tool test__slow\n" in text
        assert "server:    test (MCP), its tool slow" in text
        assert '"steps":8' in text
        term.write(b"y\r")
        term.wait_for(
            lambda t: any(
                row[:1] in FRAMES and "test__slow" in row and "/8 step " in row for row in t.lines()
            ),
            what="a spinner row with the server's progress",
        )
        term.wait_for_text("Counted.")
        assert term.wait_exit() == 0
        text = term.text()
    assert "✓ test__slow" in text
    assert text.index(QUESTION) < text.index("✓ test__slow") < text.index("Counted.")
