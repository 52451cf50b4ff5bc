"""Closed and full standard streams, for every command: one `streamcli: error:` line, the
documented exit status, never a traceback. The streams are really closed (``<&-``,
``>&-``) or really full (``/dev/full``)."""

from __future__ import annotations

import shlex
import subprocess

import pytest
from conftest import STREAMCLI, cli_env, write_jsonl
from servers import FakeServer
from servers import ollama as ol

from streamcli.history.store import History


@pytest.fixture
def recording(tmp_path):
    history = History.open(tmp_path / "data" / "streamcli" / "history.db")
    _, exchange = history.begin(None, prompt="hi", system=None, provider="p", model="m")
    history.finish(exchange, status="complete", answer="hello")
    history.close()
    return write_jsonl(
        tmp_path / "rec.jsonl",
        [
            {"type": "start", "t": 0, "v": 1, "source": "chat"},
            {"type": "text", "t": 0, "text": "hello\n"},
            {"type": "end", "t": 0, "reason": "stop"},
        ],
    )


def shell(args: list[str], redirections: str, tmp_path, **env: str):
    command = shlex.join([*STREAMCLI, *args]) + " " + redirections
    return subprocess.run(
        ["bash", "-c", command],
        capture_output=True,
        timeout=60,
        env=cli_env(XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path), **env),
    )


def one_error(stderr: bytes) -> str:
    text = stderr.decode()
    assert "Traceback" not in text and "Exception" not in text, text
    lines = text.splitlines()
    assert len([line for line in lines if line.startswith("streamcli: error:")]) == 1, text
    return next(line for line in lines if line.startswith("streamcli: error:"))


def commands(recording) -> dict[str, list[str]]:
    return {
        "replay": ["replay", "--speed", "0", str(recording)],
        "replay --json": ["replay", "--json", "--speed", "0", str(recording)],
        "tail": ["tail", "--no-follow", "-n", "+1", str(recording)],
        "history": ["history"],
        "help": ["--help"],
        "version": ["--version"],
        "bench": ["bench", "--help"],
    }


@pytest.mark.parametrize(
    "name", ["replay", "replay --json", "tail", "history", "help", "version", "bench"]
)
def test_a_full_stdout_is_one_error_line_and_exit_1(recording, tmp_path, name):
    done = shell(commands(recording)[name], ">/dev/full", tmp_path)
    assert done.returncode == 1
    assert "No space left on device" in one_error(done.stderr)


@pytest.mark.parametrize("name", ["replay", "tail", "history", "version"])
def test_a_closed_stdout_is_one_error_line_and_exit_1(recording, tmp_path, name):
    done = shell(commands(recording)[name], ">&-", tmp_path)
    assert done.returncode == 1
    assert "standard output is closed" in one_error(done.stderr)


@pytest.mark.parametrize("args", [["replay", "-"], ["tail", "--no-follow", "-"]])
def test_a_closed_stdin_that_is_needed_is_exit_2(tmp_path, args):
    done = shell(args, "<&-", tmp_path)
    assert done.returncode == 2
    assert "standard input is closed" in one_error(done.stderr)


def test_a_closed_stdin_that_is_not_needed_is_no_error(recording, tmp_path):
    done = shell(commands(recording)["replay"], "<&-", tmp_path)
    assert done.returncode == 0 and done.stdout == b"hello\n"


def test_chat_with_a_closed_stdin_and_a_full_stdout(tmp_path):
    with FakeServer() as server:
        server.script(ol.PATH, ol.stream(["Hi", " there"]))
        args = ["chat", "hi", "-m", "m", "-p", "ollama", "--base-url", server.url]
        done = shell(args, "<&- >/dev/full", tmp_path)
    assert done.returncode == 1
    assert "No space left on device" in one_error(done.stderr)


def test_a_full_stdout_and_a_closed_stderr_still_exit_1(recording, tmp_path):
    done = shell(commands(recording)["replay"], ">/dev/full 2>&-", tmp_path)
    assert done.returncode == 1
