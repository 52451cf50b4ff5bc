"""A history database damaged in the middle (4 KiB overwritten): `history` and `history N`
say so in one line naming the file and what to do; `chat` goes on without saving."""

from __future__ import annotations

import os
import random

import pytest
from chat_support import run_chat
from conftest import run_cli
from servers import FakeServer
from servers import ollama as ol

from streamcli.history.store import History


@pytest.fixture
def damaged(tmp_path):
    path = tmp_path / "data" / "streamcli" / "history.db"
    history = History.open(path)
    for i in range(300):
        _, exchange = history.begin(None, prompt=f"question {i}", system=None, provider="p",
                                    model="m")  # fmt: skip
        history.finish(exchange, status="complete", answer=f"answer {i} " + "x" * 2000,
                       messages=[{"role": "assistant", "content": "y" * 1000}])  # fmt: skip
    history.close()  # checkpoints the write-ahead log into the file
    size = path.stat().st_size
    assert size > 64 * 1024
    with open(path, "r+b") as file:
        file.seek(size // 2 // 4096 * 4096)
        file.write(random.Random(4).randbytes(4096))
        file.flush()
        os.fsync(file.fileno())
    return path


def one_error(stderr: bytes | str) -> str:
    text = stderr.decode() if isinstance(stderr, bytes) else stderr
    assert "Traceback" not in text and "DatabaseError" not in text, text
    (line,) = [line for line in text.splitlines() if line.startswith("streamcli: error:")]
    return line


@pytest.mark.parametrize(
    "args", [["history", "--limit", "0"], ["history", "150"], ["history", "--json", "--limit", "0"]]
)
def test_history_of_a_damaged_database_is_one_line_naming_the_file(damaged, tmp_path, args):
    done = run_cli(*args, XDG_DATA_HOME=str(tmp_path / "data"))
    assert done.returncode == 1
    line = one_error(done.stderr)
    assert str(damaged) in line and "move it aside" in line


def test_chat_goes_on_with_a_damaged_database(damaged, tmp_path):
    with FakeServer() as server:
        server.script(ol.PATH, ol.stream(["still ", "answered"]))
        result = run_chat(
            "hi", "-m", "m", "-p", "ollama", "--base-url", server.url,
            home=tmp_path, XDG_DATA_HOME=str(tmp_path / "data"),
        )  # fmt: skip
    assert result.stdout.rstrip(b"\n") == b"still answered"
    assert "Traceback" not in result.stderr


def test_continuing_a_damaged_conversation_is_one_line_naming_the_file(damaged, tmp_path):
    with FakeServer() as server:
        result = run_chat(
            "hi", "-m", "m", "-p", "ollama", "--base-url", server.url, "--conversation", "150",
            home=tmp_path, XDG_DATA_HOME=str(tmp_path / "data"),
        )  # fmt: skip
        assert server.received() == []  # nothing was asked
    assert result.status == 1
    assert str(damaged) in one_error(result.stderr)
