"""`--record` onto a full disk: the stream itself goes on, one error line, exit 1 at the
end. The disks are really full: /dev/full, and a file size limit (RLIMIT_FSIZE, as
`ulimit -f` sets it) that makes the recording's writes fail part way through."""

from __future__ import annotations

import resource
import subprocess

import pytest
from chat_support import chat_env
from conftest import STREAMCLI, cli_env, write_jsonl
from servers import FakeServer
from servers import ollama as ol


def limited(limit_bytes: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return apply


def one_error(stderr: bytes) -> str:
    text = stderr.decode()
    assert "Traceback" not in text, text
    (line,) = [line for line in text.splitlines() if line.startswith("streamcli: error:")]
    return line


def test_replay_recorded_onto_dev_full_goes_on_and_exits_1(tmp_path):
    events = [{"type": "start", "t": 0, "v": 1, "source": "chat"}]
    events += [{"type": "text", "t": 0, "text": f"line {i}\n"} for i in range(500)]
    events.append({"type": "end", "t": 0, "reason": "stop"})
    path = write_jsonl(tmp_path / "rec.jsonl", events)
    done = subprocess.run(
        [*STREAMCLI, "replay", "--speed", "0", "--record", "/dev/full", str(path)],
        capture_output=True,
        timeout=60,
        env=cli_env(),
    )
    assert done.returncode == 1
    assert done.stdout == "".join(f"line {i}\n" for i in range(500)).encode()
    assert "cannot write the recording: No space left on device" in one_error(done.stderr)


def test_chat_recorded_past_a_file_size_limit_goes_on_and_exits_1(tmp_path):
    pieces = [f"word{i} " for i in range(2000)]
    record = tmp_path / "chat.jsonl"
    with FakeServer() as server:
        server.script(ol.PATH, ol.stream(pieces))
        args = ["chat", "hi", "-m", "m", "-p", "ollama", "--base-url", server.url]
        done = subprocess.run(
            [*STREAMCLI, *args, "--record", str(record)],
            capture_output=True,
            timeout=60,
            env=chat_env(tmp_path, XDG_DATA_HOME=str(tmp_path / "data")),
            preexec_fn=limited(4096),
        )
    assert done.returncode == 1
    assert done.stdout.decode().rstrip("\n") == "".join(pieces)  # the answer, whole
    assert "cannot write the recording: File too large" in one_error(done.stderr)
    assert 0 < record.stat().st_size <= 4096


@pytest.mark.parametrize("command", ["tail", "replay", "stdin"])
def test_a_recording_into_the_file_being_read_is_refused_and_the_file_kept(tmp_path, command):
    """`--record` on the file `tail` or `replay` reads, or on the file given as stdin,
    would empty it before it is read (cat: "input file is output file")."""
    log = tmp_path / "s.jsonl"
    write_jsonl(log, [{"type": "start", "t": 0, "v": 1, "source": "chat"},
                      {"type": "text", "t": 0.1, "text": "kept"},
                      {"type": "end", "t": 0.2, "reason": "stop"}])  # fmt: skip
    before = log.read_bytes()
    argv = {
        "tail": ["tail", "--no-follow", "-n", "+1", str(log)],
        "replay": ["replay", str(log), "--speed", "0"],
        "stdin": ["replay", "-", "--speed", "0"],
    }[command]
    with open(log, "rb") as stdin:
        done = subprocess.run(
            [*STREAMCLI, *argv, "--record", str(log)],
            stdin=stdin,
            capture_output=True,
            timeout=60,
            env=cli_env(),
        )
    assert done.returncode == 2, done.stderr
    said = done.stderr.decode()
    assert "recording into it would empty it first" in said and "Traceback" not in said
    assert log.read_bytes() == before
