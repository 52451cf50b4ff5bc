"""`streamcli chat --mcp NAME` against real MCP servers (mcp-server-time from PyPI, and
tests/servers/mcp_test over stdio and streamable HTTP) and the three protocols' fake
model servers: tools offered under their documented names, called, answered; progress,
errors, timeouts with the protocol's cancellation, crashes, output caps, summaries,
approval, the environment a server gets, its stderr in its log; --record and replay."""

from __future__ import annotations

import json

import orjson
import pytest
from mcp_support import (
    call_remote,
    gone,
    marker,
    mcp_chat,
    time_server,
    tools_server,
    write_config,
)
from servers import FakeServer
from tool_protocols import OPENAI, PROTOCOLS


@pytest.fixture
def server():
    with FakeServer() as server:
        yield server


@pytest.mark.parametrize("protocol", PROTOCOLS, ids=lambda p: p.name)
def test_a_time_server_tool_is_offered_called_and_its_result_sent_back(protocol, server, tmp_path):
    write_config(tmp_path, {"time": time_server()})
    call = ("call_1", "time__get_current_time", {"timezone": "UTC"})
    server.script(protocol.path, protocol.calls([call]), protocol.answer(["It is noon."]))
    result = mcp_chat(protocol, server, tmp_path, "--mcp", "time", "--approve", "--json")
    assert result.status == 0, result.stderr
    first, second = server.received(protocol.path)
    offered = protocol.offered(first.json())
    assert "time__get_current_time" in offered and "time__convert_time" in offered
    (start,) = result.of("tool_start")
    (end,) = result.of("tool_end")
    assert start["server"] == end["server"] == "time"
    assert end["ok"] is True and '"timezone": "UTC"' in end["output"]
    (sent,) = protocol.results(second.json())
    assert '"timezone": "UTC"' in sent["content"]
    assert result.text == "It is noon."


def _call(server, tmp_path, tool, arguments, *args, entry=None, **env):
    write_config(tmp_path, {"test": entry or tools_server()})
    server.script(
        OPENAI.path, OPENAI.calls([("c1", f"test__{tool}", arguments)]), OPENAI.answer(["ok"])
    )
    return mcp_chat(OPENAI, server, tmp_path, "--mcp", "test", "--approve", "--json", *args, **env)


def test_progress_notifications_become_tool_progress_events(server, tmp_path):
    result = _call(server, tmp_path, "slow", {"steps": 3})
    assert result.status == 0, result.stderr
    progress = result.of("tool_progress")
    assert [p["message"] for p in progress] == ["1/3 step 1", "2/3 step 2", "3/3 step 3"]
    assert {p["server"] for p in progress} == {"test"}
    (end,) = result.of("tool_end")
    assert end["ok"] and end["output"] == "counted to 3"
    kinds = [e["type"] for e in result.events]
    assert kinds.index("tool_start") < kinds.index("tool_progress") < kinds.index("tool_end")


def test_an_error_result_is_a_failed_call_and_the_answer_goes_on(server, tmp_path):
    result = _call(server, tmp_path, "fail", {"reason": "disk on fire"})
    assert result.status == 0, result.stderr
    (end,) = result.of("tool_end")
    assert end["ok"] is False and end["output"]
    assert result.text == "ok"
    log = (tmp_path / "state" / "streamcli" / "mcp" / "test.log").read_text()
    assert "disk on fire" in log and "disk on fire" not in result.stderr  # stderr: the log


def test_a_call_past_the_timeout_is_cancelled_by_the_protocol(server, tmp_path):
    result = _call(server, tmp_path, "hang", {}, "--tool-timeout", "1")
    assert result.status == 0, result.stderr
    (end,) = result.of("tool_end")
    assert end["ok"] is False and "timed out after 1 s (--tool-timeout)" in end["output"]
    assert result.text == "ok"
    log = tmp_path / "state" / "streamcli" / "mcp" / "test.log"
    assert "hang: cancelled by the client" in log.read_text()  # notifications/cancelled


def test_a_server_dying_mid_call_fails_the_call_with_its_last_stderr_line(server, tmp_path):
    result = _call(server, tmp_path, "crash", {})
    assert result.status == 0, result.stderr
    (end,) = result.of("tool_end")
    assert end["ok"] is False and "crash: out of cheese" in end["output"]
    assert "out of cheese" not in result.stderr


def test_a_flood_of_output_is_capped(server, tmp_path):
    result = _call(server, tmp_path, "flood", {"size": 500_000})
    (end,) = result.of("tool_end")
    assert end["ok"] and "bytes omitted]" in end["output"] and len(end["output"]) < 70_000


def test_images_and_resources_are_summarised(server, tmp_path):
    result = _call(server, tmp_path, "picture", {})
    (end,) = result.of("tool_end")
    assert end["output"] == "here it is\n[image/png, 12 KB]\nthe notes"


def test_a_server_gets_a_minimal_environment_and_what_its_entry_names(server, tmp_path):
    entry = tools_server(env={"GIVEN_TOKEN": "${MY_TOKEN}", "PLAIN": "yes"})
    result = _call(
        server, tmp_path, "environment", {}, entry=entry,
        MY_TOKEN="tok-123", OTHER_SECRET="hidden", SOMETHING_ELSE="no",
    )  # fmt: skip
    (end,) = result.of("tool_end")
    seen = json.loads(end["output"])
    assert seen["GIVEN_TOKEN"] == "tok-123" and seen["PLAIN"] == "yes"
    for name in ("OPENAI_API_KEY", "OTHER_SECRET", "MY_TOKEN", "SOMETHING_ELSE"):
        assert name not in seen
    assert "PATH" in seen and "HOME" in seen


def test_without_a_terminal_a_call_is_denied_and_the_model_told(server, tmp_path):
    write_config(tmp_path, {"test": tools_server()})
    server.script(
        OPENAI.path, OPENAI.calls([("c1", "test__echo", {"text": "hi"})]), OPENAI.answer(["ok"])
    )
    result = mcp_chat(OPENAI, server, tmp_path, "--mcp", "test", "--json")
    assert result.status == 0
    (end,) = result.of("tool_end")
    assert end["ok"] is False and end["output"].startswith("denied: no terminal")
    (sent,) = OPENAI.results(server.received(OPENAI.path)[1].json())
    assert "denied: no terminal" in sent["content"]


@pytest.mark.parametrize("trust", [True, ["echo"]])
def test_a_trusted_server_or_tool_runs_without_asking(server, tmp_path, trust):
    write_config(tmp_path, {"test": tools_server(trust=trust)})
    server.script(
        OPENAI.path, OPENAI.calls([("c1", "test__echo", {"text": "hi"})]), OPENAI.answer(["ok"])
    )
    result = mcp_chat(OPENAI, server, tmp_path, "--mcp", "test", "--json")
    (end,) = result.of("tool_end")
    assert end["ok"] and end["output"] == "echo: hi"


def test_mcp_tools_go_alongside_built_in_tools(server, tmp_path):
    write_config(tmp_path, {"test": tools_server()})
    calls = [("c1", "test__echo", {"text": "hi"}), ("c2", "time", {"timezone": "UTC"})]
    server.script(OPENAI.path, OPENAI.calls(calls), OPENAI.answer(["ok"]))
    flags = ("--mcp", "test", "-T", "time", "--approve", "--json")
    result = mcp_chat(OPENAI, server, tmp_path, *flags)
    ends = {e["name"]: e for e in result.of("tool_end")}
    assert ends["test__echo"]["output"] == "echo: hi" and ends["time"]["ok"]
    assert "server" not in ends["time"] and ends["test__echo"]["server"] == "test"
    offered = OPENAI.offered(server.received(OPENAI.path)[0].json())
    assert "time" in offered and "test__echo" in offered


@pytest.mark.parametrize("kind", ["http", "sse"])
def test_a_remote_server(server, tmp_path, kind):
    result = call_remote(server, tmp_path, kind, "slow", {"steps": 2})
    assert result.status == 0, result.stderr
    assert [p["message"] for p in result.of("tool_progress")] == ["1/2 step 1", "2/2 step 2"]
    (end,) = result.of("tool_end")
    assert end["ok"] and end["output"] == "counted to 2" and end["server"] == "remote"


def test_servers_are_shut_down_after_the_chat(server, tmp_path):
    word = marker()
    result = _call(server, tmp_path, "echo", {"text": "hi"}, entry=tools_server(word))
    assert result.status == 0
    assert gone(word)


def test_unknown_keys_are_a_notice(server, tmp_path):
    write_config(tmp_path, {"test": tools_server(autoApprove=[], colour="red")}, extra=1)
    server.script(OPENAI.path, OPENAI.answer(["ok"]))
    result = mcp_chat(OPENAI, server, tmp_path, "--mcp", "test", "--json")
    messages = [n["message"] for n in result.of("notice")]
    assert any("ignored the unknown key 'colour'" in m for m in messages)
    assert any("ignored the unknown key 'extra'" in m for m in messages)
    assert not any("autoApprove" in m for m in messages)  # another client's key: quiet


def test_record_and_replay_show_the_calls_again_and_run_nothing(server, tmp_path):
    record = tmp_path / "s.jsonl"
    result = _call(server, tmp_path, "slow", {"steps": 2}, "--record", str(record))
    assert result.status == 0
    recorded = [orjson.loads(line) for line in record.read_bytes().splitlines()]
    kinds = [e["type"] for e in recorded]
    assert "tool_progress" in kinds and "tool_end" in kinds
    replayed = run_chat_replay(record, tmp_path)
    assert [e["type"] for e in replayed] == kinds
    assert [e.get("server") for e in replayed] == [e.get("server") for e in recorded]


def run_chat_replay(record, home):
    from typer.testing import CliRunner

    from streamcli.cli import app

    out = CliRunner().invoke(app, ["replay", str(record), "--json", "--speed", "100"])
    assert out.exit_code == 0, out.stderr
    return [orjson.loads(line) for line in out.stdout_bytes.splitlines()]


def test_history_keeps_the_calls(server, tmp_path):
    data = tmp_path / "data"
    result = _call(server, tmp_path, "echo", {"text": "hi"}, XDG_DATA_HOME=str(data))
    assert result.status == 0
    shown = run_chat_history(tmp_path, data)
    assert "test__echo" in shown


def run_chat_history(home, data):
    from typer.testing import CliRunner

    from streamcli.cli import app

    env = {"XDG_DATA_HOME": str(data), "XDG_CONFIG_HOME": str(home)}
    out = CliRunner().invoke(app, ["history", "1"], env=env)
    assert out.exit_code == 0, out.stderr
    return out.stdout


def test_the_api_key_a_server_was_given_is_masked_in_its_output_and_progress(server, tmp_path):
    key = OPENAI.env["OPENAI_API_KEY"]
    write_config(tmp_path, {"test": tools_server(env={"LEAK": "${OPENAI_API_KEY}"})})
    calls = [
        ("c1", "test__slow", {"steps": 1, "label_from": "LEAK"}),
        ("c2", "test__environment", {}),
    ]
    server.script(OPENAI.path, OPENAI.calls(calls), OPENAI.answer(["ok"]))
    result = mcp_chat(OPENAI, server, tmp_path, "--mcp", "test", "--approve", "--json")
    assert result.status == 0, result.stderr
    (progress,) = result.of("tool_progress")
    assert "[redacted]" in progress["message"]
    assert key not in result.stdout.decode()
    sent = server.received(OPENAI.path)[1].body.decode()
    assert key not in sent and "[redacted]" in sent
