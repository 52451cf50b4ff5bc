"""The tools of a chat: tools.toml (`tools.usertools`) and the checks before a call runs
(`tools.toolbox`)."""

from __future__ import annotations

import threading

import pytest

from streamcli.errors import BadInput
from streamcli.tools import builtin
from streamcli.tools.builtin import InProcess
from streamcli.tools.spec import Tool
from streamcli.tools.toolbox import Toolbox
from streamcli.tools.usertools import Command, load_user_tools


def test_a_tools_file_defines_user_tools(tmp_path):
    path = tmp_path / "tools.toml"
    path.write_text(
        '[get_time]\ndescription = "Time"\ncommand = ["date", "-u"]\n'
        'parameters = { type = "object", properties = { tz = { type = "string" } } }\n'
        '[bare]\ncommand = ["true"]\n'
    )
    tools = load_user_tools(path)
    assert tools["get_time"].runner == Command(("date", "-u")) and tools["get_time"].asks
    assert tools["bare"].parameters == {"type": "object", "properties": {}}
    assert tools["bare"].origin == str(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[t]\ncommand = "date -u"\n', "command must be a list of strings"),
        ("[t]\ncommand = []\n", "command must be a list of strings"),
        ('[t]\ncommand = ["x"]\nshell = true\n', "unknown key 'shell'"),
        ('[time]\ncommand = ["x"]\n', "time is a built-in tool"),
        ('["a b"]\ncommand = ["x"]\n', "a name may hold only"),
        ('[t]\ncommand = ["x"]\nparameters = { type = "string" }\n', "must describe an object"),
        ("t = 1\n", "t must be a table"),
        ("[t\n", "not valid TOML"),
    ],
)
def test_a_bad_tools_file_is_bad_input_naming_the_tool(tmp_path, text, message):
    path = tmp_path / "tools.toml"
    path.write_text(text)
    with pytest.raises(BadInput, match=message):
        load_user_tools(path)


def test_unknown_tool_names_are_refused_up_front(tmp_path):
    with pytest.raises(BadInput, match=r"unknown tool 'nope'.*not found"):
        Toolbox.load(["nope"], None, {"XDG_CONFIG_HOME": str(tmp_path)})
    with pytest.raises(BadInput, match="no such file"):
        Toolbox.load(["time"], tmp_path / "missing.toml", {})
    box = Toolbox.load(["time", "read_file"], None, {"XDG_CONFIG_HOME": str(tmp_path)})
    assert [t["name"] for t in box.offers()] == ["time", "read_file"]


def test_calls_are_checked_before_anything_runs():
    box = Toolbox({"time": builtin.BUILTIN["time"]})
    assert "there is no tool 'rm'" in box.check("rm", {}, None)
    assert "not valid JSON" in box.check("time", {}, "arguments are not valid JSON (x)")
    assert "'timezone' must be string" in box.check("time", {"timezone": 1}, None)
    assert box.check("time", {}, None) is builtin.BUILTIN["time"]


def test_a_crashing_builtin_is_a_failed_call_not_a_crash():
    def broken(arguments):
        raise RuntimeError("boom")

    tool = Tool("broken", "", runner=InProcess(broken))
    outcome = Toolbox({"broken": tool}).run(tool, {}, threading.Event())
    assert not outcome.ok and "RuntimeError: boom" in outcome.output
