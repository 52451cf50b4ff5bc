"""Tools on a real terminal (a pty read with pyte): the approval question is asked on the
controlling terminal — never read from stdin — with the live display cleared, input typed
before it discarded, No by default; and `replay` shows tool spinners without running
anything."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import orjson
import pytest
from chat_support import CHAT_VARIABLES
from ptyterm import PtyTerminal
from servers import FakeServer
from servers import openai as oa

from streamcli.sinks.spinner import FRAMES

PY = sys.executable


@pytest.fixture
def server():
    with FakeServer() as server:
        yield server


def setup_tool(home: Path, marker: Path) -> None:
    (home / "streamcli").mkdir(parents=True, exist_ok=True)
    code = f"import sys, json; open({str(marker)!r}, 'w').write(json.load(sys.stdin)['to'])"
    (home / "streamcli" / "tools.toml").write_text(
        "[deploy]\n"
        'description = "Deploy the site"\n'
        f"command = {orjson.dumps([PY, '-c', code]).decode()}\n"
        'parameters = { type = "object", properties = { to = { type = "string" } } }\n'
    )


def terminal_env(home: Path) -> dict[str, str]:
    env = {name: "" for name in CHAT_VARIABLES}
    env.update(
        XDG_CONFIG_HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        OPENAI_API_KEY="sk-test-0123456789",
        NO_PROXY="*",
    )
    return env


def start(server: FakeServer, home: Path, extra: tuple[str, ...] = (), **options) -> PtyTerminal:
    """The chat in a pty; its current directory is an empty one (`python -m streamcli`
    must not find the config directory's `streamcli` folder as a package)."""
    args = ["chat", "deploy it", "-m", "m", "--base-url", server.url + "/v1", "--tool", "deploy"]
    args += extra
    cwd = home / "work"
    cwd.mkdir(exist_ok=True)
    return PtyTerminal(args, env=terminal_env(home), cwd=str(cwd), columns=100, **options)


def script(server: FakeServer, delay: float = 0.0) -> None:
    first = oa.tool_calls([("c1", "deploy", {"to": "prod\u202e"})], text="Deploying now.")
    first.delay = delay
    server.script(oa.PATH, first, oa.stream(["All ", "done."]))


QUESTION = "Allow this call? [y/N]"


def test_yes_on_the_terminal_runs_the_tool(server, tmp_path):
    marker = tmp_path / "deployed"
    setup_tool(tmp_path, marker)
    script(server)
    with start(server, tmp_path, extra=("--stats",)) as term:  # a live status line
        term.wait_for_text(QUESTION)
        raw = bytes(term.raw)
        status = "first token"  # the --stats line, drawn before the question
        assert raw.index(status.encode()) < raw.index(QUESTION.encode())
        screen = term.lines()
        at = max(i for i, row in enumerate(screen) if QUESTION in row)
        assert screen[at].startswith(QUESTION)  # the question is the last thing shown
        assert not any(row.strip() for row in screen[at + 1 :])
        assert not any(row[:1] in FRAMES for row in screen if row)  # no spinner left around
        assert not any(status in row for row in screen)  # the live region is cleared
        text = term.text()
        assert "Deploying now." in text  # what streamed before stays above the question
        assert "the model asks to run the tool deploy" in text
        assert '"to":"prod\\u202e"' in text  # sanitized: the override is visible, inert
        assert not marker.exists()
        term.write(b"y\r")
        term.wait_for(  # the live region is back under the answer
            lambda t: any(status in row for row in t.lines()[at + 1 :]),
            what="the status line again",
        )
        term.wait_for_text("All done.")
        assert term.wait_exit() == 0
        text = term.text()
    assert marker.read_text() == "prod\u202e"
    assert "✓ deploy" in text
    assert text.index(QUESTION) < text.index("✓ deploy") < text.index("All done.")


def test_the_default_answer_is_no(server, tmp_path):
    marker = tmp_path / "deployed"
    setup_tool(tmp_path, marker)
    script(server)
    with start(server, tmp_path) as term:
        term.wait_for_text(QUESTION)
        term.write(b"\r")
        term.wait_for_text("All done.")
        assert term.wait_exit() == 0
        text = term.text()
    assert not marker.exists()
    assert "✗ deploy" in text and "denied by the user" in text
    sent = server.received(oa.PATH)[1].json()["messages"]
    assert sent[-1] == {"role": "tool", "tool_call_id": "c1", "content": (
        "The call failed: denied by the user"
    )}  # fmt: skip


def test_the_answer_is_never_read_from_stdin(server, tmp_path):
    marker = tmp_path / "deployed"
    setup_tool(tmp_path, marker)
    script(server)
    piped = tmp_path / "stdin.txt"
    piped.write_text("y\ny\ny\n")
    with (
        open(piped, "rb") as stdin,
        start(server, tmp_path, stdin=stdin.fileno()) as term,
    ):
        term.wait_for_text(QUESTION)
        time.sleep(0.3)
        assert not marker.exists()  # the piped "y" answered nothing
        term.write(b"n\r")
        assert term.wait_exit() == 0
    assert not marker.exists()
    first = server.received(oa.PATH)[0].json()["messages"][0]["content"]
    assert first.startswith("y\ny\ny")  # stdin was the chat's input, as always


def test_input_typed_before_the_question_is_discarded(server, tmp_path):
    marker = tmp_path / "deployed"
    setup_tool(tmp_path, marker)
    script(server, delay=1.5)  # the model "thinks" while the user types ahead
    with start(server, tmp_path) as term:
        assert server.wait_for(lambda: len(server.requests) == 1)
        term.write(b"y\r")  # typed before anything was asked
        term.wait_for_text(QUESTION)
        time.sleep(0.5)
        assert not marker.exists() and term.process.poll() is None  # still asking
        term.write(b"\r")
        assert term.wait_exit() == 0
    assert not marker.exists()


def test_replay_shows_the_tool_spinners_and_runs_nothing(tmp_path):
    marker = tmp_path / "deployed"
    setup_tool(tmp_path, marker)
    recording = tmp_path / "session.jsonl"
    items = [
        {"type": "start", "t": 0.0, "v": 1, "source": "chat", "provider": "openai", "model": "m"},
        {"type": "text", "t": 0.05, "text": "Deploying now.\n\n"},
        {"type": "tool_start", "t": 0.1, "id": "c1", "name": "deploy", "arguments": {"to": "p"}},
        {"type": "tool_end", "t": 1.6, "id": "c1", "name": "deploy", "ok": True, "output": "",
         "duration_ms": 1500.0},
        {"type": "text", "t": 1.7, "text": "All done."},
        {"type": "end", "t": 1.8, "reason": "stop"},
    ]  # fmt: skip
    recording.write_bytes(b"".join(orjson.dumps(item) + b"\n" for item in items))
    env = terminal_env(tmp_path)
    (tmp_path / "work").mkdir()
    with PtyTerminal(["replay", str(recording)], env=env, cwd=str(tmp_path / "work")) as term:
        term.wait_for(
            lambda t: any(row[:1] in FRAMES and "deploy" in row for row in t.display()),
            what="the spinner of deploy",
        )
        term.wait_for_text("All done.")
        assert term.wait_exit() == 0
        text = term.text()
    assert "✓ deploy" in text
    assert not marker.exists()
    assert not os.path.exists(tmp_path / "data" / "streamcli" / "history.db")
