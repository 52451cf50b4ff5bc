"""`streamcli chat` as a user meets it: stdin, start-up imports, --stats, --record, Ctrl-C, keys."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import orjson
import pytest
from chat_support import assert_no_secret, chat_env, run_chat, start_chat
from conftest import STREAMCLI
from servers import FakeServer
from servers import ollama as ol
from servers import openai as oa

from streamcli.errors import StreamcliError
from streamcli.sources.chat.protocols.provider import provider_class
from streamcli.sources.chat.request import ChatRequest
from streamcli.sources.chat.source import ChatSource

KEY = "sk-proj-LEAKME0123456789abcdefghij"


@pytest.fixture
def server():
    with FakeServer() as server:
        yield server


def imported_modules(*args: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "streamcli", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return {line.split("|")[-1].strip() for line in result.stderr.splitlines() if "|" in line}


@pytest.mark.parametrize("args", [["--version"], ["chat", "--help"], ["--help"]])
def test_help_and_version_import_neither_httpx_nor_markdown_nor_pygments(args):
    modules = imported_modules(*args)
    assert "typer" in modules  # the measurement works
    for heavy in ("httpx", "rich.markdown", "pygments", "markdown_it", "starlette", "uvicorn"):
        assert heavy not in modules, heavy


@pytest.mark.parametrize("args", [["--help"], ["tail", "--help"], ["replay", "--help"]])
def test_other_commands_never_import_the_server(args):
    """serve's libraries (Starlette, uvicorn) are imported by `serve` only."""
    modules = imported_modules(*args)
    assert "typer" in modules
    assert not {m for m in modules if m.split(".")[0] in ("starlette", "uvicorn", "anyio")}
    assert not {
        m for m in modules if m.startswith("streamcli.serve.") and m != "streamcli.serve.flags"
    }


def test_the_prompt_may_come_from_stdin_alone(server, tmp_path):
    server.script(ol.PATH, ol.stream(["ok"]))
    result = run_chat("-m", "m", "--base-url", server.url, home=tmp_path, input=b"only stdin\n")
    assert result.status == 0
    messages = server.received(ol.PATH)[0].json()["messages"]
    assert messages == [{"role": "user", "content": "only stdin"}]


def test_nothing_to_ask_is_a_usage_error(server, tmp_path):
    result = run_chat("-m", "m", "--base-url", server.url, "--json", home=tmp_path, input=b"\n")
    assert result.status == 2
    assert "nothing to ask" in result.error["message"]
    assert not server.received()


@pytest.mark.parametrize("pieces", [[], ["\n", "  "]])
def test_an_empty_answer_into_a_pipe_is_said_on_stderr(server, tmp_path, pieces):
    server.script(ol.PATH, ol.stream(pieces))
    result = run_chat("hi", "-m", "m", "--base-url", server.url, home=tmp_path)
    assert result.status == 0
    assert result.stderr.splitlines() == ["streamcli: the answer was empty"]
    server.script(ol.PATH, ol.stream(["ok"]))
    answered = run_chat("hi", "-m", "m", "--base-url", server.url, home=tmp_path)
    assert answered.stdout == b"ok\n" and answered.stderr == ""


def test_stats_reports_server_counts(server, tmp_path):
    server.script(ol.PATH, ol.stream(["a", "b", "c"], pause=0.05, eval_count=31))
    result = run_chat("hi", "-m", "m", "--base-url", server.url, "--stats", home=tmp_path)
    assert result.status == 0 and result.stdout == b"abc\n"
    (line,) = [line for line in result.stderr.splitlines() if "first token" in line]
    assert "31 tokens" in line and "tokens/s" in line


def test_a_recording_replays_to_the_same_text(server, tmp_path):
    server.script(oa.PATH, oa.stream(["re", "cord", "ed"]))
    record = tmp_path / "chat.jsonl"
    result = run_chat(
        "hi",
        "-m",
        "m",
        "--base-url",
        server.url + "/v1",
        "--record",
        str(record),
        home=tmp_path,
        OPENAI_API_KEY=KEY,
    )
    assert result.status == 0 and result.stdout == b"recorded\n"
    replay = subprocess.run(
        [*STREAMCLI, "replay", str(record), "--speed", "0"], capture_output=True, check=True
    )
    assert replay.stdout == b"recorded\n"
    assert_no_secret(KEY, record.read_bytes())


def test_a_key_echoed_by_the_server_is_redacted_everywhere(server, tmp_path):
    server.script(oa.PATH, oa.stream([f"your key is {KEY}!"], finish=None, done=False))
    record = tmp_path / "rec.jsonl"
    result = run_chat(
        "hi",
        "-m",
        "m",
        "--base-url",
        server.url + "/v1",
        "--json",
        "--record",
        str(record),
        home=tmp_path,
        OPENAI_API_KEY=KEY,
    )
    assert result.status == 1  # truncated: no finish_reason
    assert result.text == "your key is [redacted]!"
    assert_no_secret(KEY, result.stdout, result.stderr, record.read_bytes())


def test_a_key_file_readable_by_the_user_alone(server, tmp_path):
    key_file = tmp_path / "openai.key"
    key_file.write_text(KEY + "\n")
    key_file.chmod(0o600)
    server.script(oa.PATH, oa.stream(["ok"]))
    result = run_chat(
        "hi",
        "-m",
        "m",
        "-p",
        "openai",
        "--base-url",
        server.url + "/v1",
        "--key-file",
        str(key_file),
        home=tmp_path,
    )
    assert result.status == 0
    assert server.received(oa.PATH)[0].headers["authorization"] == f"Bearer {KEY}"
    key_file.chmod(0o644)
    result = run_chat("hi", "-p", "openai", "--key-file", str(key_file), home=tmp_path)
    assert result.status == 2
    assert f"run chmod 600 {key_file}" in result.stderr
    assert_no_secret(KEY, result.stderr)


def test_the_reader_going_away_ends_quietly(server, tmp_path):
    server.script(ol.PATH, ol.stream(["x" * 1000] * 200, pause=0.001))
    command = " ".join([*STREAMCLI, "chat", "hi", "-m", "m", "--base-url", server.url])
    result = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {command} | head -c 10"],
        capture_output=True,
        env=chat_env(tmp_path),
        timeout=60,
    )
    assert result.stdout == b"x" * 10
    assert result.returncode == 0 and b"Traceback" not in result.stderr


def _wait_for_output(process: subprocess.Popen[bytes], size: int) -> bytes:
    """Read stdout until `size` bytes arrived (the answer has started)."""
    data = b""
    assert process.stdout is not None
    while len(data) < size:
        chunk = os.read(process.stdout.fileno(), 4096)
        assert chunk, "the output ended early"
        data += chunk
    return data


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupting_keeps_the_partial_answer_and_closes_the_connection(
    server, tmp_path, signum, status
):
    pieces = [f"{i:03d} " for i in range(200)]
    server.script(ol.PATH, ol.stream(pieces, pause=0.05))
    process = start_chat("hi", "-m", "m", "--base-url", server.url, "--json", home=tmp_path)
    head = _wait_for_output(process, 300)
    process.send_signal(signum)
    rest, stderr = process.communicate(timeout=30)
    assert process.returncode == status, stderr
    events = [orjson.loads(line) for line in (head + rest).splitlines()]
    text = "".join(e["text"] for e in events if e["type"] == "text")
    assert text and "".join(pieces).startswith(text)
    assert events[-1] == {**events[-1], "type": "end", "reason": "interrupted"}
    (received,) = server.received(ol.PATH)
    assert received.client_gone.wait(10)  # the server saw the connection close
    assert received.finished.wait(10)
    assert len(received.writes) < len(pieces)  # and stopped generating


def test_close_cuts_the_connection_while_the_process_lives_on(server):
    server.script(oa.PATH, oa.stream([f"{i} " for i in range(500)], pause=0.05))
    provider = provider_class("openai")(server.url + "/v1")
    source = ChatSource(provider, ChatRequest.from_prompt("hi", model="m"))
    batches: list[list[dict]] = []
    started = threading.Event()

    def consume() -> None:
        for batch in source.batches():
            batches.append(batch)
            if any(e["type"] == "text" for e in batch):
                started.set()

    worker = threading.Thread(target=consume, daemon=True)
    worker.start()
    assert started.wait(10)
    began = time.monotonic()
    source.close()
    (received,) = server.received(oa.PATH)
    assert received.client_gone.wait(5)
    worker.join(5)
    assert not worker.is_alive()
    assert time.monotonic() - began < 5
    assert all(e["type"] != "error" for batch in batches for e in batch)  # stopping is no error


def test_an_unexpected_failure_is_reported_without_the_key():
    openai = provider_class("openai")

    class Broken(openai):
        def chat_call(self, request):
            raise RuntimeError(f"bug while building a request with {self.key}")

    source = ChatSource(
        Broken("http://127.0.0.1:9/v1", KEY), ChatRequest.from_prompt("hi", model="m")
    )
    with pytest.raises(StreamcliError) as caught:
        for _ in source.batches():
            pass
    assert caught.value.kind == "internal"
    assert "bug while building a request with [redacted]" in caught.value.message
    assert KEY not in str(caught.value) and caught.value.__cause__ is None
