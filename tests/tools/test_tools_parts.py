"""The parts of tool calling, on real files and real processes: schemas, output caps, the
built-in tools' containment, tools.toml, running commands within limits, the transcript
and each protocol's messages."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamcli.errors import BadInput
from streamcli.sources.chat.protocols import anthropic, ollama, openai
from streamcli.sources.chat.request import ChatRequest, flatten_tools
from streamcli.tools import approval, builtin, schema
from streamcli.tools.output import HeadTail, cap
from streamcli.tools.process import run_command, scrubbed
from streamcli.tools.spec import Tool, ToolFailure
from streamcli.tools.toolbox import Toolbox
from streamcli.tools.usertools import load_user_tools
from streamcli.transcript import Transcript

PY = sys.executable


# -- schema --------------------------------------------------------------------------

WEATHER = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "minLength": 1},
        "days": {"type": "integer", "minimum": 1, "maximum": 7},
        "unit": {"enum": ["C", "F"]},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["city"],
    "additionalProperties": False,
}


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"city": "Paris"}, None),
        ({"city": "Paris", "days": 3, "unit": "C", "tags": ["a"]}, None),
        ({"city": "Paris", "days": 3.0}, None),  # an integral float is an integer
        ({}, "'city' is required"),
        ({"city": 3}, "'city' must be string, not number"),
        ({"city": "x", "days": True}, "'days' must be integer, not boolean"),
        ({"city": "x", "days": 9}, "'days' must be at most 7"),
        ({"city": ""}, "'city' must be at least 1 characters"),
        ({"city": "x", "unit": "K"}, "'unit' must be one of 'C', 'F'"),
        ({"city": "x", "tags": ["a", 2]}, "'tags'[1] must be string, not number"),
        ({"city": "x", "zip": 1}, "'zip' is not a known argument (known: city, days, unit, tags)"),
    ],
)
def test_schema_problems_are_named(arguments, expected):
    assert schema.problem(arguments, WEATHER) == expected


# -- output caps -----------------------------------------------------------------------


def test_head_and_tail_are_kept_and_the_middle_counted():
    buffer = HeadTail(100)
    data = b"".join(b"%05d\n" % i for i in range(10_000))  # 60,000 bytes
    for start in range(0, len(data), 997):
        buffer.write(data[start : start + 997])
    text = buffer.text()
    assert text.startswith("00000\n") and text.endswith("09999\n")
    assert f"[{len(data) - 100:,} bytes omitted]" in text
    assert len(text.encode()) < 100 + 40


def test_small_output_is_untouched():
    assert cap("short") == "short"
    buffer = HeadTail(10)
    buffer.write(b"0123456789")
    assert buffer.text() == "0123456789" and buffer.omitted == 0


@given(st.text(min_size=0, max_size=400), st.integers(min_value=4, max_value=64))
def test_capped_text_never_splits_a_character(text, limit):
    out = cap(text, limit)
    assert "\ufffd" not in out or "\ufffd" in text
    if len(text.encode()) <= limit:
        assert out == text


# -- built-in tools ----------------------------------------------------------------------


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    root = tmp_path / "work"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "a.txt").write_text("hello\nworld\n")
    (root / "bin.dat").write_bytes(b"\x00\x01\x02")
    (tmp_path / "secret.txt").write_text("top secret")
    (tmp_path / "work-other").mkdir()
    (tmp_path / "work-other" / "x.txt").write_text("neighbour")
    (root / "escape").symlink_to(tmp_path / "secret.txt")
    (root / "inside").symlink_to(root / "docs" / "a.txt")
    monkeypatch.chdir(root)
    return root


def test_read_file_reads_inside_the_current_directory(workdir):
    assert builtin.read_file({"path": "docs/a.txt"}) == "hello\nworld\n"
    assert builtin.read_file({"path": "inside"}) == "hello\nworld\n"  # a symlink that stays
    assert builtin.read_file({"path": str(workdir / "docs" / "a.txt")}) == "hello\nworld\n"


@pytest.mark.parametrize(
    "path",
    ["../secret.txt", "escape", "/etc/passwd", "docs/../../secret.txt", "../work-other/x.txt"],
)
def test_read_file_refuses_paths_that_resolve_outside(workdir, path):
    with pytest.raises(ToolFailure, match="outside the current directory"):
        builtin.read_file({"path": path})


def test_read_file_refuses_directories_binaries_fifos_and_missing_files(workdir):
    with pytest.raises(ToolFailure, match="directory"):
        builtin.read_file({"path": "docs"})
    with pytest.raises(ToolFailure, match="not a text file"):
        builtin.read_file({"path": "bin.dat"})
    os.mkfifo(workdir / "pipe")
    with pytest.raises(ToolFailure, match="not a regular file"):  # and never blocks
        builtin.read_file({"path": "pipe"})
    with pytest.raises(ToolFailure, match="cannot read"):
        builtin.read_file({"path": "nope.txt"})
    with pytest.raises(ToolFailure, match="bad path"):
        builtin.read_file({"path": "a\0b"})


def test_read_file_of_a_large_file_keeps_head_and_tail(workdir):
    big = workdir / "big.log"
    big.write_bytes(b"".join(b"line %06d\n" % i for i in range(50_000)))
    text = builtin.read_file({"path": "big.log"})
    assert text.startswith("line 000000\n") and text.rstrip().endswith("line 049999")
    assert "bytes omitted]" in text and len(text) < 70_000


def test_list_dir_marks_directories_and_links_and_stays_inside(workdir):
    listing = builtin.list_dir({}).splitlines()
    assert "docs/" in listing and "bin.dat" in listing
    assert any(line.startswith("escape -> ") for line in listing)
    assert builtin.list_dir({"path": "docs"}) == "a.txt"
    with pytest.raises(ToolFailure, match="outside"):
        builtin.list_dir({"path": ".."})


def test_time_in_a_zone_and_an_unknown_zone():
    out = builtin.current_time({"timezone": "Asia/Tokyo"})
    assert "+09:00" in out and "Asia/Tokyo" in out
    assert "local time" in builtin.current_time({})
    with pytest.raises(ToolFailure, match="unknown time zone"):
        builtin.current_time({"timezone": "Mars/Olympus"})


# -- tools.toml ------------------------------------------------------------------------


def test_a_tools_file_defines_user_tools(tmp_path):
    path = tmp_path / "tools.toml"
    path.write_text(
        '[get_time]\ndescription = "Time"\ncommand = ["date", "-u"]\n'
        'parameters = { type = "object", properties = { tz = { type = "string" } } }\n'
        '[bare]\ncommand = ["true"]\n'
    )
    tools = load_user_tools(path)
    assert tools["get_time"].command == ("date", "-u") and tools["get_time"].asks
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

    tool = Tool("broken", "", function=broken)
    outcome = Toolbox({"broken": tool}).run(tool, {}, threading.Event())
    assert not outcome.ok and "RuntimeError: boom" in outcome.output


# -- running commands ----------------------------------------------------------------


def run(code: str, arguments=None, *, timeout: float = 30, environ=None, limit: int = 65536):
    return run_command(
        [PY, "-c", code],
        arguments or {},
        timeout=timeout,
        environ=environ if environ is not None else os.environ,
        stop=threading.Event(),
        limit=limit,
    )


def test_arguments_arrive_on_stdin_and_stdout_is_the_result():
    outcome = run("import sys, json; print(json.load(sys.stdin)['n'] * 2)", {"n": 21})
    assert outcome.ok and outcome.output == "42\n"


def test_a_non_zero_exit_fails_with_stderr_as_the_error():
    outcome = run("import sys; print('out'); sys.stderr.write('bad city\\n'); sys.exit(3)")
    assert not outcome.ok
    assert outcome.output == "bad city\n(exited with status 3)"
    assert run("import sys; sys.exit(4)").output == "exited with status 4"


def test_a_missing_command_fails_cleanly():
    outcome = run_command(["/no/such/tool"], {}, timeout=5, environ={}, stop=threading.Event())
    assert not outcome.ok and outcome.output.startswith("cannot run /no/such/tool")


def test_output_is_capped_with_head_and_tail_while_it_streams():
    code = "import sys\nfor i in range(300000): sys.stdout.write('%06d\\n' % i)"
    outcome = run(code, limit=4096)
    assert outcome.ok
    assert outcome.output.startswith("000000\n") and outcome.output.endswith("299999\n")
    assert f"[{300_000 * 7 - 4096:,} bytes omitted]" in outcome.output


def test_the_environment_is_scrubbed_of_secrets():
    environ = {
        **os.environ,
        "OPENAI_API_KEY": "sk-1",
        "GITHUB_TOKEN": "t",
        "db_password": "p",
        "MY_SECRET_THING": "s",
        "AWS_SECRET_ACCESS_KEY": "a",
        "HARMLESS": "kept",
    }
    code = "import os, json; print(json.dumps(sorted(os.environ)))"
    names = orjson.loads(run(code, environ=environ).output)
    assert "HARMLESS" in names and "PATH" in names
    for name in ("OPENAI_API_KEY", "GITHUB_TOKEN", "db_password", "MY_SECRET_THING"):
        assert name not in names
    assert "AWS_SECRET_ACCESS_KEY" not in scrubbed(environ)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead: only its parent has not read its status
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def test_a_timeout_kills_the_tool_and_its_children(tmp_path):
    pids = tmp_path / "pids"
    code = (
        "import os, subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        f"open({str(pids)!r}, 'w').write(f'{{os.getpid()}} {{child.pid}}')\n"
        "time.sleep(600)\n"
    )
    started = time.monotonic()
    outcome = run(code, timeout=3)  # room for a slow start on a busy machine
    assert not outcome.ok and outcome.output.startswith("timed out after 3 s")
    assert time.monotonic() - started < 30
    for pid in map(int, pids.read_text().split()):
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(pid), f"process {pid} survived"


def test_a_tool_that_ignores_sigterm_is_killed_too(tmp_path):
    code = (
        "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('started', flush=True)\ntime.sleep(600)"
    )
    outcome = run(code, timeout=3)
    assert not outcome.ok and "partial output:\nstarted" in outcome.output


def test_children_left_behind_holding_the_output_do_not_hang_the_call(tmp_path):
    pid_file = tmp_path / "pid"
    code = (
        "import subprocess, sys\n"
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(p.pid))\n"
        "print('done')\n"
    )
    started = time.monotonic()
    outcome = run(code, timeout=60)
    assert outcome.ok and outcome.output == "done\n"
    assert time.monotonic() - started < 20
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)


def test_stopping_kills_a_running_tool_at_once():
    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()
    started = time.monotonic()
    outcome = run_command(
        [PY, "-c", "import time; time.sleep(600)"], {}, timeout=600, environ=os.environ, stop=stop
    )
    assert not outcome.ok and outcome.output.startswith("stopped")
    assert time.monotonic() - started < 20


def test_a_tool_that_does_not_read_its_stdin_still_works():
    big = {"blob": "x" * 1_000_000}  # more than a pipe holds
    outcome = run("print('ignored the input')", big)
    assert outcome.ok and outcome.output == "ignored the input\n"


def test_a_tool_killed_by_a_signal_says_so():
    outcome = run(f"import os; os.kill(os.getpid(), {int(signal.SIGKILL)})")
    assert not outcome.ok and outcome.output == "killed by SIGKILL"


# -- the approval question ----------------------------------------------------------------


def test_the_question_shows_the_call_sanitized():
    tool = Tool("deploy", "", command=("deploy", "--to", "prod\x1b[2J"), origin="/x/tools.toml")
    text = approval.question(tool, {"target": "web\u202e1", "n": 2})
    assert "\x1b" not in text and "\u202e" not in text
    assert "deploy --to 'prod\\x1b[2J'" in text
    assert '"target":"web\\u202e1"' in text
    assert text.endswith("Allow this call? [y/N] ")


def test_no_controlling_terminal_means_no_question(tmp_path):
    terminal, why = approval.Terminal.open(str(tmp_path / "not-a-tty"))
    assert terminal is None and why == approval.NO_TERMINAL


# -- transcript and protocols ---------------------------------------------------------


def _round_events():
    return [
        {"type": "start", "t": 0, "v": 1, "source": "chat"},
        {"type": "text", "t": 0, "text": "Let me "},
        {"type": "text", "t": 0, "text": "look."},
        {"type": "tool_start", "t": 0, "id": "a", "name": "time", "arguments": {}},
        {"type": "tool_start", "t": 0, "id": "b", "name": "read_file", "arguments": {"path": "x"}},
        {"type": "tool_end", "t": 0, "id": "b", "name": "read_file", "ok": False,
         "output": "no such file", "duration_ms": 1},
        {"type": "tool_end", "t": 0, "id": "a", "name": "time", "ok": True,
         "output": "noon", "duration_ms": 1},
        {"type": "text", "t": 0, "text": "It is noon."},
        {"type": "end", "t": 0, "reason": "stop"},
    ]  # fmt: skip


def test_the_transcript_rebuilds_rounds_and_the_answer():
    transcript = Transcript()
    transcript.feed(_round_events())
    messages = transcript.finish()
    assert [m["role"] for m in messages] == ["assistant", "tool", "tool", "assistant"]
    assert messages[0]["content"] == "Let me look."
    assert [c["id"] for c in messages[0]["tool_calls"]] == ["a", "b"]
    assert [m["tool_call_id"] for m in messages[1:3]] == ["a", "b"]  # in the calls' order
    assert messages[2]["ok"] is False
    assert transcript.answer == "Let me look.\n\nIt is noon."
    assert transcript.calls == 2


def test_an_unfinished_round_is_left_out():
    transcript = Transcript()
    transcript.feed(_round_events()[:6])  # b ended, a did not
    assert transcript.finish() == [{"role": "assistant", "content": "Let me look."}]
    assert transcript.calls == 0


def _request(tools=True) -> ChatRequest:
    transcript = Transcript()
    transcript.feed(_round_events())
    offered = ({"name": "time", "description": "d", "parameters": {"type": "object"}},)
    return ChatRequest.from_prompt(
        "now?", "sys", model="m", tools=offered if tools else ()
    ).followed_by(transcript.finish())


def test_openai_messages_carry_calls_as_json_text_and_results_by_id():
    body = openai.OpenAI("http://x/v1").chat_call(_request()).body
    assistant, first, second, last = body["messages"][2:]
    assert assistant["tool_calls"][1] == {
        "id": "b",
        "type": "function",
        "function": {"name": "read_file", "arguments": '{"path":"x"}'},
    }
    assert first == {"role": "tool", "tool_call_id": "a", "content": "noon"}
    assert second["content"] == "The call failed: no such file"
    assert last == {"role": "assistant", "content": "It is noon."}
    assert body["tools"][0]["type"] == "function"


def test_ollama_messages_carry_object_arguments_and_tool_names():
    body = ollama.Ollama("http://x").chat_call(_request()).body
    assistant, first = body["messages"][2:4]
    assert assistant["tool_calls"][1] == {
        "function": {"name": "read_file", "arguments": {"path": "x"}}
    }
    assert first == {"role": "tool", "content": "noon", "tool_name": "time"}


def test_anthropic_messages_carry_tool_use_and_results_in_one_user_turn():
    body = anthropic.Anthropic("http://x").chat_call(_request()).body
    assert body["system"] == "sys"
    user, assistant, results, last = body["messages"]
    assert user == {"role": "user", "content": "now?"}
    assert assistant["content"][0] == {"type": "text", "text": "Let me look."}
    assert assistant["content"][2] == {
        "type": "tool_use",
        "id": "b",
        "name": "read_file",
        "input": {"path": "x"},
    }
    assert results["role"] == "user"
    assert results["content"] == [
        {"type": "tool_result", "tool_use_id": "a", "content": "noon"},
        {"type": "tool_result", "tool_use_id": "b", "content": "no such file", "is_error": True},
    ]
    assert last == {"role": "assistant", "content": "It is noon."}
    assert body["tools"] == [
        {"name": "time", "description": "d", "input_schema": {"type": "object"}}
    ]


def test_without_tools_offered_calls_and_results_are_told_as_text():
    for provider in (openai.OpenAI("http://x/v1"), anthropic.Anthropic("http://x")):
        body = provider.chat_call(_request(tools=False)).body
        assert "tools" not in body
        text = orjson.dumps(body["messages"]).decode()
        assert "tool_calls" not in text and "tool_use" not in text
        assert "[called the tool read_file with" in text
        assert "[the tool read_file failed: no such file]" in text
    flat = flatten_tools(_request().messages)
    assert [m["role"] for m in flat] == ["system", "user", "assistant", "user", "assistant"]
