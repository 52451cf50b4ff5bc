"""MCP servers that cannot start, bad MCP files, signals, and what a chat without
servers does not import."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from chat_support import chat_env, run_chat
from conftest import STREAMCLI
from mcp_support import (
    PY,
    TEST_SERVER,
    gone,
    marker,
    mcp_chat,
    not_found,
    processes_with,
    time_server,
    tools_server,
    write_config,
)
from servers import FakeServer
from servers import openai as oa
from tool_protocols import OPENAI


@pytest.fixture
def server():
    with FakeServer() as server:
        yield server


def _fails_before_any_request(result, server) -> str:
    assert result.status == 1, result.stderr
    assert not server.received(OPENAI.path)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_missing_command_ends_the_chat_before_any_request(server, tmp_path):
    write_config(tmp_path, {"gone": {"command": "no-such-mcp-server-here"}})
    result = mcp_chat(OPENAI, server, tmp_path, "--mcp", "gone")
    line = _fails_before_any_request(result, server)
    assert line == f"streamcli: error: MCP server gone: {not_found('no-such-mcp-server-here')}"


def test_a_file_that_is_not_executable_is_named(server, tmp_path):
    script = tmp_path / "server.sh"
    script.write_text("#!/bin/sh\n")
    write_config(tmp_path, {"plain": {"command": str(script)}})
    line = _fails_before_any_request(mcp_chat(OPENAI, server, tmp_path, "--mcp", "plain"), server)
    assert line == f"streamcli: error: MCP server plain: cannot run {script}: permission denied"


@pytest.mark.skipif(sys.platform != "linux", reason="the reaper needs Linux")
def test_what_a_server_starts_in_a_session_of_its_own_ends_with_it(server, tmp_path):
    word = marker()
    escape = f"setsid sh -c 'sleep 300; : {word}' </dev/null >/dev/null 2>&1 &"
    shell = f"{escape} exec {PY} {TEST_SERVER} stdio {word}"
    write_config(tmp_path, {"test": {"command": "sh", "args": ["-c", shell]}})
    server.script(
        OPENAI.path, OPENAI.calls([("c1", "test__echo", {"text": "hi"})]), oa.stream(["ok"])
    )
    result = mcp_chat(OPENAI, server, tmp_path, "--mcp", "test", "--approve")
    assert result.status == 0, result.stderr
    assert gone(word)  # the sleeper left the server's session and process group


def test_a_server_exiting_during_start_up_is_named_with_its_last_stderr_line(server, tmp_path):
    code = "import sys; print('bad settings: no database', file=sys.stderr); sys.exit(1)"
    write_config(tmp_path, {"db": {"command": PY, "args": ["-c", code]}})
    result = mcp_chat(OPENAI, server, tmp_path, "--mcp", "db", "--json")
    assert result.status == 1
    assert not server.received(OPENAI.path)
    message = result.error["message"]
    assert message.startswith("MCP server db (") and "exited during start-up" in message
    assert message.endswith(": bad settings: no database")


def test_a_server_past_its_start_timeout_ends_the_chat_and_is_not_left_behind(server, tmp_path):
    word = marker()
    write_config(tmp_path, {"slow": tools_server(word, startupTimeout=0.5), "time": time_server()})
    result = mcp_chat(
        OPENAI, server, tmp_path, "--mcp", "time", "--mcp", "slow", MCP_TEST_START_DELAY="30"
    )
    line = _fails_before_any_request(result, server)
    assert line == "streamcli: error: MCP server slow did not start within 0.5 s " + (
        "(startupTimeout in the MCP servers file)"
    )
    assert gone(word)


def test_an_unknown_server_name_is_bad_usage(server, tmp_path):
    path = write_config(tmp_path, {"time": time_server()})
    result = mcp_chat(OPENAI, server, tmp_path, "--mcp", "tiem")
    assert result.status == 2
    assert f"--mcp: unknown MCP server 'tiem'; known: time (servers are configured in {path})" in (
        result.stderr
    )


@pytest.mark.parametrize(
    "entry, says",
    [
        ({"command": 3}, "command must be a string"),
        ({"command": "x", "args": "-v"}, "args must be a list of strings"),
        ({"command": "x", "env": {"A": 1}}, "env must be an object of strings"),
        ({"type": "http", "url": "ftp://x"}, "url must be an http:// or https:// URL"),
        ({"command": "x", "trust": "yes"}, "trust must be true, false or a list"),
    ],
)
def test_a_wrong_type_is_an_error_naming_the_file_and_the_server(server, tmp_path, entry, says):
    path = write_config(tmp_path, {"bad": entry})
    result = mcp_chat(OPENAI, server, tmp_path, "--mcp", "bad")
    assert result.status == 2
    assert f"streamcli: error: {path}: server 'bad': {says}" in result.stderr


def test_an_unset_variable_is_an_error_only_for_a_chosen_server(server, tmp_path):
    write_config(
        tmp_path,
        {"keyed": tools_server(env={"T": "${UNSET_VARIABLE_X}"}), "test": tools_server()},
    )
    server.script(OPENAI.path, oa.stream(["ok"]))
    assert mcp_chat(OPENAI, server, tmp_path, "--mcp", "test").status == 0
    result = mcp_chat(OPENAI, server, tmp_path, "--mcp", "keyed")
    assert result.status == 2 and "${UNSET_VARIABLE_X}, which is not set" in result.stderr


def test_default_servers_from_the_file_are_offered_without_flags(server, tmp_path):
    write_config(tmp_path, {"test": tools_server()}, defaultServers=["test"])
    server.script(OPENAI.path, oa.stream(["ok"]))
    assert mcp_chat(OPENAI, server, tmp_path).status == 0
    tools = OPENAI.offered(server.received(OPENAI.path)[0].json())
    assert "test__echo" in tools


CHECK_IMPORTS = """
import sys
from typer.testing import CliRunner
from streamcli.cli import app
result = CliRunner().invoke(app, sys.argv[1:])
print(result.exit_code, "mcp" in sys.modules, "mcp_types" in sys.modules)
"""


def test_version_and_a_chat_without_servers_do_not_import_the_sdk(server, tmp_path):
    server.script(OPENAI.path, oa.stream(["ok"]))
    env = chat_env(tmp_path, OPENAI_API_KEY="sk-test-key-0123456789")
    for args in (["--version"], ["chat", "hi", "-m", "m", "--base-url", server.url + "/v1"]):
        done = subprocess.run(
            [PY, "-c", CHECK_IMPORTS, *args], env=env, capture_output=True, timeout=60
        )
        assert done.stdout.split() == [b"0", b"False", b"False"], done.stderr


def _hanging_call(server, tmp_path, entry: dict, word: str) -> subprocess.Popen[bytes]:
    """`chat --json` whose model calls the `test` server's `hang` tool, once it hangs."""
    write_config(tmp_path, {"test": entry})
    server.script(OPENAI.path, OPENAI.calls([("c1", "test__hang", {})]), oa.stream(["ok"]))
    env = chat_env(
        tmp_path, XDG_STATE_HOME=str(tmp_path / "state"), OPENAI_API_KEY="sk-test-key-0123456789"
    )
    args = ["chat", "hi", "-m", "m", "--base-url", server.url + "/v1", "--mcp", "test"]
    process = subprocess.Popen(
        [*STREAMCLI, *args, "--approve", "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while not server.received(OPENAI.path) or not processes_with(word):
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)
    time.sleep(0.5)  # the call is under way
    return process


def test_sigterm_during_a_call_ends_the_chat_and_its_servers(server, tmp_path):
    word = marker()
    process = _hanging_call(server, tmp_path, tools_server(word), word)
    log = tmp_path / "state" / "streamcli" / "mcp" / "test.log"
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 143, err
    assert b'"tool_start"' in out
    assert gone(word)
    assert "hang: cancelled by the client" in log.read_text()  # notifications/cancelled


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
@pytest.mark.parametrize("signum, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_during_start_up_leaves_no_server_behind(server, tmp_path, signum, status):
    word = marker()
    write_config(tmp_path, {"test": tools_server(word)})
    env = chat_env(
        tmp_path,
        XDG_STATE_HOME=str(tmp_path / "state"),
        OPENAI_API_KEY="sk-test-key-0123456789",
        MCP_TEST_START_DELAY="30",
    )
    args = ["chat", "hi", "-m", "m", "--base-url", server.url + "/v1", "--mcp", "test"]
    process = subprocess.Popen(
        [*STREAMCLI, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 30
    while not processes_with(word):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.2)
    os.kill(process.pid, signum)
    _, err = process.communicate(timeout=30)
    assert process.returncode == status, err
    assert b"Traceback" not in err
    assert gone(word)
    assert not server.received(OPENAI.path)


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
@pytest.mark.parametrize("signum, status", [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_a_signal_after_start_up_before_the_stream_shuts_the_servers_down(
    server, tmp_path, signum, status
):
    """The servers are up and the chat waits for its history database (another process
    holds it locked): SIGTERM (SIGHUP) then is 143 (129) with the servers shut down."""
    import sqlite3

    word = marker()
    write_config(tmp_path, {"test": tools_server(word)})
    data = tmp_path / "data"
    (data / "streamcli").mkdir(parents=True)
    holder = sqlite3.connect(data / "streamcli" / "history.db", isolation_level=None)
    holder.execute("PRAGMA journal_mode = DELETE")
    holder.execute("BEGIN EXCLUSIVE")  # `chat -c` waits for it after the servers start
    env = chat_env(
        tmp_path,
        XDG_DATA_HOME=str(data),
        XDG_STATE_HOME=str(tmp_path / "state"),
        OPENAI_API_KEY="sk-test-key-0123456789",
    )
    args = ["chat", "-c", "hi", "-m", "m", "--base-url", server.url + "/v1", "--mcp", "test"]
    process = subprocess.Popen(
        [*STREAMCLI, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 30
    while not _has_open(process.pid, "history.db"):  # opened once the servers are up
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)
    assert processes_with(word)
    time.sleep(0.2)
    os.kill(process.pid, signum)
    time.sleep(0.2)
    holder.execute("COMMIT")
    holder.close()
    _, err = process.communicate(timeout=30)
    assert process.returncode == status, err
    assert b"Traceback" not in err
    assert gone(word)
    assert not server.received(OPENAI.path)


def _has_open(pid: int, name: str) -> bool:
    """Whether process `pid` has a file called `name` open."""
    try:
        return any(
            os.readlink(f"/proc/{pid}/fd/{fd}").endswith(name)
            for fd in os.listdir(f"/proc/{pid}/fd")
        )
    except OSError:
        return False


def test_the_local_provider_cannot_call_mcp_tools_and_no_server_starts(tmp_path):
    word = marker()
    write_config(tmp_path, {"test": tools_server(word)})
    result = run_chat("hi", "-p", "local", "--mcp", "test", home=tmp_path)
    assert result.status == 2
    assert "--mcp: the local model cannot call tools" in result.stderr
    assert not processes_with(word)


def test_the_local_provider_starts_no_default_server(tmp_path):
    started = tmp_path / "started"
    code = f"open({str(started)!r}, 'w'); import time; time.sleep(30)"
    write_config(tmp_path, {"mark": {"command": PY, "args": ["-c", code]}}, defaultServers=["mark"])
    missing = tmp_path / "missing.gguf"
    result = run_chat("hi", "-p", "local", "-m", str(missing), home=tmp_path)
    assert result.status == 2
    assert result.stderr == (
        f"streamcli: error: the model file {missing} does not exist (--model takes a GGUF file)\n"
    )
    assert not started.exists()


def test_a_remote_server_that_does_not_answer_ends_the_chat(server, tmp_path):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    write_config(tmp_path, {"docs": {"type": "http", "url": f"http://127.0.0.1:{port}/mcp"}})
    result = mcp_chat(OPENAI, server, tmp_path, "--mcp", "docs")
    line = _fails_before_any_request(result, server)
    assert line.startswith(
        f"streamcli: error: MCP server docs at http://127.0.0.1:{port}/mcp did not answer: "
    )


def test_a_server_writing_garbage_on_stdout_is_one_line_and_the_sdk_log_a_file(server, tmp_path):
    token = "tok-ZZZZ9876543210abcdefgh"  # a key it knows of, in the line the SDK logs
    code = f"import sys, time; print('hello, not json {token}', flush=True); time.sleep(5)"
    write_config(tmp_path, {"noisy": {"command": PY, "args": ["-c", code], "startupTimeout": 1}})
    result = mcp_chat(OPENAI, server, tmp_path, "--mcp", "noisy", TICKETS_TOKEN=token)
    line = _fails_before_any_request(result, server)
    assert line.startswith("streamcli: error: MCP server noisy did not start within 1 s")
    logged = (tmp_path / "state" / "streamcli" / "mcp" / "client.log").read_text()
    assert "hello, not json [redacted]" in logged and token not in logged


def test_a_large_log_is_moved_aside_when_its_server_starts(server, tmp_path):
    logs = tmp_path / "state" / "streamcli" / "mcp"
    logs.mkdir(parents=True)
    (logs / "test.log").write_bytes(b"old line\n" * 200_000)
    write_config(tmp_path, {"test": tools_server()})
    server.script(OPENAI.path, oa.stream(["ok"]))
    assert mcp_chat(OPENAI, server, tmp_path, "--mcp", "test").status == 0
    assert (logs / "test.log.1").stat().st_size == 1_800_000
    assert (logs / "test.log").read_text().startswith("--- streamcli started test at ")


def test_a_cwd_that_does_not_exist_is_named(server, tmp_path):
    missing = tmp_path / "no-such-dir"
    write_config(tmp_path, {"test": tools_server(cwd=str(missing))})
    line = _fails_before_any_request(mcp_chat(OPENAI, server, tmp_path, "--mcp", "test"), server)
    assert line == f"streamcli: error: MCP server test: cwd does not exist: {missing}"


STUBBORN = (  # ignores SIGTERM and the end of its stdin; serves as the test server does
    "import signal, sys, runpy\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "sys.argv = sys.argv[1:]\n"
    "try:\n"
    "    runpy.run_path(sys.argv[0], run_name='__main__')\n"
    "finally:\n"
    "    import time\n"
    "    while True: time.sleep(1)\n"
)


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_a_second_signal_during_shutdown_still_ends_a_stubborn_server(server, tmp_path):
    word = marker()
    entry = {"command": PY, "args": ["-c", STUBBORN, str(TEST_SERVER), "stdio", word]}
    process = _hanging_call(server, tmp_path, entry, word)
    process.send_signal(signal.SIGTERM)
    time.sleep(0.5)  # shutting the server down: stdin closed, it does not end
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=30)
    assert gone(word, within=5), f"left behind: {processes_with(word)}"


def test_the_server_log_is_private_masked_and_refuses_a_symlink(server, tmp_path):
    logs = tmp_path / "state" / "streamcli" / "mcp"
    logs.mkdir(parents=True, mode=0o755)
    (logs / "test.log").write_text("old\n")
    (logs / "test.log").chmod(0o644)
    key = "sk-ant-other-key-0123456789abcdef"
    code = (
        "import os, sys, runpy\n"
        f"print('leaked {key} and', os.environ['SRV_T'], file=sys.stderr, flush=True)\n"
        "sys.argv = sys.argv[1:]\nrunpy.run_path(sys.argv[0], run_name='__main__')\n"
    )
    entry = {"command": PY, "args": ["-c", code, str(TEST_SERVER), "stdio"]}
    write_config(tmp_path, {"test": {**entry, "env": {"SRV_T": "${MY_SERVICE_TOKEN}"}}})
    server.script(OPENAI.path, oa.stream(["ok"]))
    result = mcp_chat(
        OPENAI, server, tmp_path, "--mcp", "test",
        ANTHROPIC_API_KEY=key, MY_SERVICE_TOKEN="tok-9876543210",
    )  # fmt: skip
    assert result.status == 0, result.stderr
    text = (logs / "test.log").read_text()
    assert "leaked" in text and key not in text and "tok-9876543210" not in text
    assert (logs / "test.log").stat().st_mode & 0o777 == 0o600
    assert logs.stat().st_mode & 0o777 == 0o700
    assert (logs / "client.log").stat().st_mode & 0o777 == 0o600
    (logs / "test.log").unlink()
    target = tmp_path / "target"
    target.write_text("")
    (logs / "test.log").symlink_to(target)
    result = mcp_chat(OPENAI, server, tmp_path, "--mcp", "test", MY_SERVICE_TOKEN="t" * 9)
    assert result.status == 1 and "it is a symlink" in result.stderr
    assert target.read_text() == ""


def test_a_server_log_is_rotated_while_the_server_runs(server, tmp_path):
    logs = tmp_path / "state" / "streamcli" / "mcp"
    code = (
        "import sys, runpy\n"
        "for i in range(30000): sys.stderr.write('%050d\\n' % i)\n"  # 1.5 MB
        "sys.stderr.flush()\n"
        "sys.argv = sys.argv[1:]\nrunpy.run_path(sys.argv[0], run_name='__main__')\n"
    )
    write_config(
        tmp_path, {"test": {"command": PY, "args": ["-c", code, str(TEST_SERVER), "stdio"]}}
    )
    server.script(OPENAI.path, oa.stream(["ok"]))
    assert mcp_chat(OPENAI, server, tmp_path, "--mcp", "test").status == 0
    assert (logs / "test.log.1").read_text().startswith("--- streamcli started test at ")
    assert (logs / "test.log").stat().st_size < 1024 * 1024
    assert (logs / "test.log").read_text().endswith(f"{29999:050d}\n")
