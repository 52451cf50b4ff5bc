"""`--record` onto a full disk: the stream itself goes on, one error line, exit 1 at the
end. The disks are really full: /dev/full, and a file size limit (RLIMIT_FSIZE, as
`ulimit -f` sets it) that makes the recording's writes fail part way through."""

from __future__ import annotations

import resource
import subprocess

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
