"""`streamcli chat --tool …` against the real fake servers of all three protocols: calls
assembled from fragments, run, answered in the same stream; approval without a terminal
and with --approve; limits (timeout, output cap, rounds, environment); failures."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from chat_support import Result, chat_env, run_chat
from conftest import STREAMCLI
from servers import FakeServer, Reply
from servers import openai as oa
from tool_protocols import OPENAI, PROTOCOLS, Protocol

PY = sys.executable


@pytest.fixture
def server():
    with FakeServer() as server:
        yield server


@pytest.fixture
def work(tmp_path, monkeypatch):
    """The current directory of the chat, with a file to read."""
    root = tmp_path / "work"
    root.mkdir()
    (root / "notes.txt").write_text("the launch is on Tuesday\n")
    monkeypatch.chdir(root)
    return root


def chat(protocol: Protocol, server: FakeServer, home: Path, *args: str, **env: str) -> Result:
    return run_chat(
        "what is planned?", "-m", "m", *protocol.args(server), *args, home=home,
        **{**protocol.env, **env},
    )  # fmt: skip


def user_tools(home: Path, **tools: dict[str, Any]) -> None:
    """Write tools.toml in the config directory: name -> table."""
    lines = []
    for name, table in tools.items():
        lines.append(f"[{name}]")
        for key, value in table.items():
            lines.append(f"{key} = {_toml(value)}")
    (home / "streamcli").mkdir(exist_ok=True)
    (home / "streamcli" / "tools.toml").write_text("\n".join(lines) + "\n")


def _toml(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    return orjson.dumps(value).decode()


def python_tool(code: str, **extra: Any) -> dict[str, Any]:
    return {"description": "a test tool", "command": [PY, "-c", code], **extra}


# -- a call assembled, run, answered --------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS, ids=lambda p: p.name)
def test_a_call_from_fragments_is_run_and_the_answer_streams_on(protocol, server, work, tmp_path):
    server.script(
        protocol.path,
        protocol.calls([("call_1", "read_file", {"path": "notes.txt"})], text="Let me look."),
        protocol.answer(["The launch ", "is on Tuesday."]),
    )
    result = chat(protocol, server, tmp_path, "--tool", "read_file", "--json")
    assert result.status == 0, result.stderr
    kinds = [e["type"] for e in result.events]
    assert kinds.count("start") == 1 and kinds.count("end") == 1 and kinds[-1] == "end"
    (start,) = result.of("tool_start")
    assert start["name"] == "read_file" and start["arguments"] == {"path": "notes.txt"}
    (end,) = result.of("tool_end")
    assert end["ok"] is True and end["output"] == "the launch is on Tuesday\n"
    assert end["id"] == start["id"] and end["duration_ms"] >= 0
    assert kinds.index("tool_start") < kinds.index("tool_end") < len(kinds) - 2
    assert result.text == "Let me look.The launch is on Tuesday."
    assert result.events[-1]["reason"] == "stop"
    first, second = server.received(protocol.path)
    offered = orjson.dumps(first.json()["tools"]).decode()
    assert "read_file" in offered and "list_dir" not in offered  # only the named tools
    (sent,) = protocol.results(second.json())
    assert sent["content"] == "the launch is on Tuesday\n" and not sent["error"]
    assert "Let me look." in orjson.dumps(second.json()["messages"]).decode()


@pytest.mark.parametrize("protocol", PROTOCOLS, ids=lambda p: p.name)
def test_several_calls_in_one_turn_each_get_a_start_an_end_and_a_result(
    protocol, server, work, tmp_path
):
    calls = [("c1", "list_dir", {}), ("c2", "time", {"timezone": "UTC"}), ("c3", "nope", {})]
    server.script(protocol.path, protocol.calls(calls), protocol.answer(["ok"]))
    result = chat(protocol, server, tmp_path, "-T", "list_dir", "-T", "time", "--json")
    assert result.status == 0, result.stderr
    starts, ends = result.of("tool_start"), result.of("tool_end")
    assert [e["name"] for e in starts] == ["list_dir", "time", "nope"]
    assert {e["id"] for e in starts} == {e["id"] for e in ends}
    assert len({e["id"] for e in starts}) == 3  # each its own id, even without one from Ollama
    outcome = {e["name"]: e for e in ends}
    assert outcome["list_dir"]["ok"] and outcome["list_dir"]["output"] == "notes.txt"
    assert outcome["time"]["ok"] and "+00:00" in outcome["time"]["output"]
    assert not outcome["nope"]["ok"] and "there is no tool 'nope'" in outcome["nope"]["output"]
    sent = protocol.results(server.received(protocol.path)[1].json())
    assert len(sent) == 3 and sent[0]["content"] == "notes.txt"
    assert sent[2]["error"]


def test_text_mode_shows_one_line_per_tool_on_stderr(server, work, tmp_path):
    server.script(oa.PATH, oa.tool_calls([("c", "list_dir", {})]), oa.stream(["done"]))
    result = chat(OPENAI, server, tmp_path, "--tool", "list_dir")
    assert result.status == 0
    assert result.stdout == b"done\n"
    lines = result.stderr.splitlines()
    assert lines[0] == "→ list_dir {}"
    assert lines[1].startswith("✓ list_dir (") and lines[1].endswith(" ms)")


def test_without_tool_flags_nothing_is_offered_or_run(server, work, tmp_path):
    server.script(oa.PATH, oa.tool_calls([("c", "list_dir", {})]))
    result = chat(OPENAI, server, tmp_path, "--json")
    assert "tools" not in server.received(oa.PATH)[0].json()
    assert not result.of("tool_start") and len(server.received(oa.PATH)) == 1
    assert "tools are not enabled" in result.of("notice")[0]["message"]
    assert result.events[-1]["reason"] == "tool_calls"


# -- user tools, approval -----------------------------------------------------------------


ECHO = "import sys, json; args = json.load(sys.stdin); print('got', args['word'])"


def test_approve_runs_a_user_tool_with_its_arguments_on_stdin(server, work, tmp_path):
    user_tools(
        tmp_path,
        echo=python_tool(
            ECHO,
            parameters={
                "type": "object",
                "properties": {"word": {"type": "string"}},
                "required": ["word"],
            },
        ),
    )
    server.script(oa.PATH, oa.tool_calls([("c", "echo", {"word": "hi"})]), oa.stream(["ok"]))
    result = chat(OPENAI, server, tmp_path, "--tool", "echo", "--approve", "--json")
    (end,) = result.of("tool_end")
    assert end["ok"] and end["output"] == "got hi\n"
    (tool,) = server.received(oa.PATH)[0].json()["tools"]
    assert tool["function"]["parameters"]["required"] == ["word"]


def run_detached(args: list[str], home: Path, cwd: Path, **env: str) -> Result:
    """`streamcli chat ARGS` in a session of its own: no controlling terminal at all."""
    done = subprocess.run(
        [*STREAMCLI, "chat", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
        cwd=cwd,
        env=chat_env(home, **env),
        start_new_session=True,
    )
    return Result(done.returncode, done.stdout, done.stderr.decode())


def test_without_a_terminal_a_user_tool_is_denied_and_never_runs(server, work, tmp_path):
    marker = tmp_path / "ran"
    user_tools(tmp_path, touch=python_tool(f"open({str(marker)!r}, 'w').write('x')"))
    server.script(oa.PATH, oa.tool_calls([("c", "touch", {})]), oa.stream(["I could not."]))
    args = ["go", "-m", "m", *OPENAI.args(server), "--tool", "touch", "--json"]
    result = run_detached(args, tmp_path, work, **OPENAI.env)
    assert result.status == 0, result.stderr
    assert not marker.exists()
    (end,) = result.of("tool_end")
    assert not end["ok"] and end["output"].startswith("denied: no terminal")
    (sent,) = OPENAI.results(server.received(oa.PATH)[1].json())
    assert "denied: no terminal" in sent["content"] and sent["error"]
    assert result.text == "I could not."


def test_a_failing_tool_is_reported_and_the_chat_goes_on(server, work, tmp_path):
    code = "import sys; sys.stderr.write('no route to host\\n'); sys.exit(2)"
    user_tools(tmp_path, fetch=python_tool(code))
    server.script(oa.PATH, oa.tool_calls([("c", "fetch", {})]), oa.stream(["Sorry."]))
    result = chat(OPENAI, server, tmp_path, "--tool", "fetch", "--approve")
    assert result.status == 0
    assert "✗ fetch" in result.stderr and "no route to host" in result.stderr
    (sent,) = OPENAI.results(server.received(oa.PATH)[1].json())
    assert sent["content"] == "The call failed: no route to host\n(exited with status 2)"


@pytest.mark.parametrize("protocol", [PROTOCOLS[1], PROTOCOLS[2]], ids=lambda p: p.name)
def test_malformed_arguments_are_reported_to_the_model_and_nothing_runs(
    protocol, server, work, tmp_path
):
    marker = tmp_path / "ran"
    user_tools(tmp_path, touch=python_tool(f"open({str(marker)!r}, 'w')"))
    server.script(
        protocol.path, protocol.calls([("c", "touch", '{"a": tru')]), protocol.answer(["ok"])
    )
    result = chat(protocol, server, tmp_path, "--tool", "touch", "--approve", "--json")
    assert result.status == 0
    assert not marker.exists()
    (end,) = result.of("tool_end")
    assert not end["ok"] and "not valid JSON" in end["output"]
    (sent,) = protocol.results(server.received(protocol.path)[1].json())
    assert "not valid JSON" in sent["content"] and sent["error"]


def test_arguments_that_do_not_fit_the_schema_are_refused(server, work, tmp_path):
    server.script(
        oa.PATH, oa.tool_calls([("c", "read_file", {"file": "notes.txt"})]), oa.stream(["ok"])
    )
    result = chat(OPENAI, server, tmp_path, "--tool", "read_file", "--json")
    (end,) = result.of("tool_end")
    assert not end["ok"] and end["output"] == (
        "error: invalid arguments: 'path' is required; nothing was run"
    )


# -- limits ----------------------------------------------------------------------------


def _wait_dead(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        stat = Path(f"/proc/{pid}/stat")
        if stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z":
            return True
        time.sleep(0.05)
    return False


HANG = (
    "import os, subprocess, sys, time\n"
    "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
    "open(sys.argv[1], 'w').write(f'{os.getpid()} {child.pid}')\n"
    "time.sleep(600)\n"
)


def test_a_hanging_tool_and_its_children_are_killed_at_the_timeout(server, work, tmp_path):
    pids = tmp_path / "pids"
    user_tools(tmp_path, hang={"command": [PY, "-c", HANG, str(pids)]})
    server.script(oa.PATH, oa.tool_calls([("c", "hang", {})]), oa.stream(["It hung."]))
    started = time.monotonic()
    result = chat(
        OPENAI, server, tmp_path, "--tool", "hang", "--approve", "--tool-timeout", "3", "--json"
    )  # 3 s: room for the tool to start its child on a busy machine
    assert result.status == 0 and time.monotonic() - started < 60
    (end,) = result.of("tool_end")
    assert not end["ok"] and end["output"].startswith("timed out after 3 s (--tool-timeout)")
    assert 2900 <= end["duration_ms"] < 4_500  # SIGTERM ends it at once
    for pid in map(int, pids.read_text().split()):
        assert _wait_dead(pid), f"process {pid} survived"
    (sent,) = OPENAI.results(server.received(oa.PATH)[1].json())
    assert "timed out" in sent["content"]
    assert result.text == "It hung."


def test_tool_output_is_capped_for_the_events_and_the_model(server, work, tmp_path):
    code = "import sys\nfor i in range(100000): sys.stdout.write('%07d\\n' % i)"
    user_tools(tmp_path, flood=python_tool(code))
    server.script(oa.PATH, oa.tool_calls([("c", "flood", {})]), oa.stream(["ok"]))
    result = chat(OPENAI, server, tmp_path, "--tool", "flood", "--approve", "--json")
    (end,) = result.of("tool_end")
    output = end["output"]
    assert end["ok"] and output.startswith("0000000\n") and output.endswith("0099999\n")
    assert f"[{800_000 - 65536:,} bytes omitted]" in output
    (sent,) = OPENAI.results(server.received(oa.PATH)[1].json())
    assert sent["content"] == output


def test_the_tool_environment_has_no_secrets(server, work, tmp_path):
    code = "import os, json; print(json.dumps(sorted(os.environ)))"
    user_tools(tmp_path, env=python_tool(code))
    server.script(oa.PATH, oa.tool_calls([("c", "env", {})]), oa.stream(["ok"]))
    result = chat(
        OPENAI, server, tmp_path, "--tool", "env", "--approve", "--json",
        MY_SERVICE_TOKEN="t0k", DB_PASSWORD="pw", VISIBLE_SETTING="yes",
    )  # fmt: skip
    names = orjson.loads(result.of("tool_end")[0]["output"])
    assert "VISIBLE_SETTING" in names
    for secret in ("OPENAI_API_KEY", "MY_SERVICE_TOKEN", "DB_PASSWORD"):
        assert secret not in names


def test_the_round_limit_stops_a_model_that_keeps_asking(server, work, tmp_path):
    counter = tmp_path / "count"
    user_tools(tmp_path, tick=python_tool(f"open({str(counter)!r}, 'a').write('x')"))
    replies = [oa.tool_calls([(f"c{i}", "tick", {})], text=f"round {i}. ") for i in range(4)]
    server.script(oa.PATH, *replies)
    result = chat(
        OPENAI, server, tmp_path, "--tool", "tick", "--approve", "--max-tool-rounds", "2", "--json"
    )
    assert result.status == 0
    assert counter.read_text() == "xx"  # two rounds ran, the third was refused
    assert len(server.received(oa.PATH)) == 3
    assert len(result.of("tool_start")) == 2
    (notice,) = result.of("notice")
    assert "limit of 2 rounds" in notice["message"] and "--max-tool-rounds" in notice["message"]
    end = result.events[-1]
    assert end["reason"] == "tool_calls"
    assert end["usage"] == {"input_tokens": 60, "output_tokens": 30}  # all three requests
    assert result.text == "round 0. round 1. round 2. "


def test_zero_rounds_offers_tools_but_runs_none(server, work, tmp_path):
    server.script(oa.PATH, oa.tool_calls([("c", "time", {})]))
    result = chat(OPENAI, server, tmp_path, "--tool", "time", "--max-tool-rounds", "0", "--json")
    assert result.status == 0 and not result.of("tool_start")
    assert result.events[-1]["reason"] == "tool_calls"


def test_ctrl_c_during_a_tool_kills_it(server, work, tmp_path):
    pids = tmp_path / "pids"
    user_tools(tmp_path, hang={"command": [PY, "-c", HANG, str(pids)]})
    server.script(oa.PATH, oa.tool_calls([("c", "hang", {})]))
    process = subprocess.Popen(
        [*STREAMCLI, "chat", "go", "-m", "m", *OPENAI.args(server), "-T", "hang", "--approve",
         "--json"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=work,
        env=chat_env(tmp_path, **OPENAI.env),
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not (pids.exists() and len(pids.read_text().split()) == 2):
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    for pid in map(int, pids.read_text().split()):
        assert _wait_dead(pid), f"process {pid} survived"
    events = [orjson.loads(line) for line in out.splitlines()]
    assert events[-1]["reason"] == "interrupted"
    assert [e["type"] for e in events].count("tool_start") == 1


# -- bad usage --------------------------------------------------------------------------


def test_an_unknown_tool_name_is_bad_usage(server, work, tmp_path):
    result = chat(OPENAI, server, tmp_path, "--tool", "shell")
    assert result.status == 2
    assert "unknown tool 'shell'" in result.stderr and "time, read_file, list_dir" in result.stderr
    assert not server.received()


def test_the_local_provider_cannot_call_tools(tmp_path):
    result = run_chat("hi", "-p", "local", "--tool", "time", home=tmp_path)
    assert result.status == 2 and "local model cannot call tools" in result.stderr


def test_a_tool_that_prints_the_api_key_shows_and_sends_it_masked(server, work, tmp_path):
    (work / "leak.txt").write_text(f"key={OPENAI.env['OPENAI_API_KEY']}\n")
    server.script(oa.PATH, oa.tool_calls([("c", "read_file", {"path": "leak.txt"})]))
    server.script(oa.PATH, oa.stream(["ok"]))
    result = chat(OPENAI, server, tmp_path, "--tool", "read_file", "--json")
    assert result.of("tool_end")[0]["output"] == "key=[redacted]\n"
    assert OPENAI.env["OPENAI_API_KEY"] not in server.received(oa.PATH)[1].body.decode()


def test_no_stream_answers_with_tools_too(server, work, tmp_path):
    message = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "read_file", "arguments": '{"path": "notes.txt"}'},
            }
        ],
    }
    document = {
        "id": "x",
        "object": "chat.completion",
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}],
    }
    server.script(oa.PATH, Reply.json(200, document), oa.completion("Tuesday."))
    result = chat(OPENAI, server, tmp_path, "--tool", "read_file", "--no-stream", "--json")
    assert result.status == 0, result.stderr
    assert result.of("tool_end")[0]["output"] == "the launch is on Tuesday\n"
    assert result.text == "Tuesday."
    assert server.received(oa.PATH)[1].json()["stream"] is False
