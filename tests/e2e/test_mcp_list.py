"""`streamcli mcp list`: each configured server started for real, its tools or why not."""

from __future__ import annotations

import os

import orjson
import pytest
from conftest import run_cli
from mcp_support import PY, TIME_SERVER, not_found, time_server, tools_server, write_config


def _list(home, *args):
    return run_cli(
        "mcp", "list", *args, XDG_CONFIG_HOME=str(home), XDG_STATE_HOME=str(home / "state")
    )


def test_lists_each_server_with_its_tools_or_why_it_did_not_start(tmp_path):
    code = "import sys; print('no database', file=sys.stderr); sys.exit(1)"
    write_config(
        tmp_path,
        {
            "time": time_server(),
            "test": tools_server(),
            "gone": {"command": "no-such-mcp-server-here"},
            "broken": {"command": PY, "args": ["-c", code]},
        },
    )
    done = _list(tmp_path)
    assert done.returncode == 1, done.stderr
    out = done.stdout.decode()
    assert "time  (stdio: " in out
    assert "  time__get_current_time  Get current time" in out
    assert "  time__convert_time      Convert time" in out  # the descriptions in a column
    assert "  test__slow         Count to `steps`, reporting progress after each." in out
    assert f"  did not start: MCP server gone: {not_found('no-such-mcp-server-here')}" in out
    assert "exited during start-up: no database" in out
    assert done.stderr == b""


def test_a_key_a_server_prints_is_masked_in_the_list_and_its_log(tmp_path):
    secret = "pw-0123456789abcdefghij"
    code = f"import sys; print('no database at db://u:{secret}@h', file=sys.stderr); sys.exit(1)"
    write_config(tmp_path, {"broken": {"command": PY, "args": ["-c", code]}})
    done = run_cli(
        "mcp", "list", XDG_CONFIG_HOME=str(tmp_path), XDG_STATE_HOME=str(tmp_path / "state"),
        MY_DB_PASSWORD=secret,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "no database at db://u:[redacted]@h" in done.stdout.decode()
    assert secret not in done.stdout.decode()  # nor in the command shown
    log = (tmp_path / "state" / "streamcli" / "mcp" / "broken.log").read_text()
    assert "no database" in log and secret not in log


def test_json_is_one_object_per_server(tmp_path):
    write_config(tmp_path, {"test": tools_server(), "gone": {"command": "no-such-mcp-server-here"}})
    done = _list(tmp_path, "--json")
    rows = [orjson.loads(line) for line in done.stdout.splitlines()]
    assert [row["server"] for row in rows] == ["test", "gone"]
    test, gone = rows
    assert test["started"] is True and test["transport"] == "stdio" and "error" not in test
    echo = next(tool for tool in test["tools"] if tool["tool"] == "echo")
    assert echo == {"name": "test__echo", "tool": "echo", "description": "Say `text` back."}
    assert gone["started"] is False and gone["tools"] == []
    assert gone["error"] == f"MCP server gone: {not_found('no-such-mcp-server-here')}"


def test_a_server_installed_beside_streamcli_is_found_off_path(tmp_path):
    """`pip install mcp-server-time` in streamcli's venv, the venv not activated: the bare
    name is found in the directory of the Python running streamcli."""
    beside = os.path.dirname(PY)
    if os.path.dirname(TIME_SERVER) != beside:
        pytest.skip("mcp-server-time is not installed beside this Python")
    write_config(tmp_path, {"time": {"command": "mcp-server-time"}})
    path = os.pathsep.join(p for p in os.defpath.split(os.pathsep) if p and p != beside)
    done = run_cli(
        "mcp", "list", XDG_CONFIG_HOME=str(tmp_path), XDG_STATE_HOME=str(tmp_path / "state"),
        PATH=path,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert b"time__get_current_time" in done.stdout


def test_no_file_says_so(tmp_path):
    done = _list(tmp_path)
    assert done.returncode == 0 and done.stdout == b""
    assert b"no MCP servers configured" in done.stderr and b"does not exist" in done.stderr


def test_a_bad_file_is_status_2(tmp_path):
    (tmp_path / "streamcli").mkdir()
    (tmp_path / "streamcli" / "mcp.json").write_text("{not json")
    done = _list(tmp_path)
    assert done.returncode == 2 and b"not valid JSON" in done.stderr
