"""Inputs that never end or are too big (/dev/zero, a huge pipe, a 10 MB line) end in one
line naming the limit (exit 2), or stream in bounded memory; never a MemoryError.

Each process runs with its address space limited (RLIMIT_AS), so a regression fails the
test with a MemoryError instead of taking the machine's memory.
"""

from __future__ import annotations

import resource
import subprocess
from pathlib import Path

import pytest
from conftest import STREAMCLI, cli_env

MEMORY = 512 << 20  # bytes of address space each process may take
CLOSED = "http://127.0.0.1:9"  # nothing listens there


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def run_limited(
    *args: str, stdin: int | None = subprocess.DEVNULL, tmp_path: Path
) -> subprocess.CompletedProcess[bytes]:
    """`streamcli ARGS` within `MEMORY`, its own config directory, output captured."""
    return subprocess.run(
        [*STREAMCLI, *args],
        stdin=stdin,
        capture_output=True,
        timeout=120,
        env=cli_env(XDG_CONFIG_HOME=str(tmp_path), OLLAMA_HOST=CLOSED),
        preexec_fn=_limited,
    )


def one_line(done: subprocess.CompletedProcess[bytes]) -> str:
    stderr = done.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr and "MemoryError" not in stderr, stderr
    assert stderr.count("\n") == 1 and stderr.startswith("streamcli: error: "), stderr
    return stderr


@pytest.mark.parametrize(
    ("args", "limit"),
    [
        (["bench", "--prompt-file", "/dev/zero", "--url", CLOSED, "-m", "m"], "16 MiB"),
        (["chat", "--mcp-config", "/dev/zero", "--mcp", "x", "hi"], "1 MiB"),
        (["chat", "--tools", "/dev/zero", "-T", "x", "hi"], "1 MiB"),
        (["mcp", "list", "--mcp-config", "/dev/zero"], "1 MiB"),
        (["replay", "--format", "events", "/dev/zero"], "64 MiB"),
        (["bench", "--compare", "/dev/zero", "/dev/null"], "64 MiB"),
    ],
    ids=lambda v: " ".join(v[:3]) if isinstance(v, list) else v,
)
def test_a_file_that_never_ends_is_one_line_naming_the_limit(tmp_path, args, limit):
    done = run_limited(*args, tmp_path=tmp_path)
    assert done.returncode == 2
    assert f"larger than {limit}" in one_line(done)


def test_endless_text_piped_into_chat_is_refused_past_the_limit(tmp_path):
    with open("/dev/zero", "rb") as zero:
        done = run_limited(
            "chat", "--base-url", CLOSED, "hi", stdin=zero.fileno(), tmp_path=tmp_path
        )
    assert done.returncode == 2
    assert "the text piped on stdin is larger than 16 MiB" in one_line(done)


def test_a_config_file_past_the_limit_is_refused(tmp_path):
    (tmp_path / "streamcli").mkdir()
    config = tmp_path / "streamcli" / "config.toml"
    config.write_bytes(b"#" * (1 << 20) + b"\n")
    done = run_limited("chat", "--base-url", CLOSED, "hi", tmp_path=tmp_path)
    assert done.returncode == 2
    assert f"the config file {config} is larger than 1 MiB" in one_line(done)


def test_a_long_line_of_plain_text_replays_in_bounded_memory(tmp_path):
    """10 MB without a newline, played as plain text: before, every 3-character chunk of
    it was made at once (3.3 million events, gigabytes); now it streams."""
    text = tmp_path / "one-line.txt"
    text.write_bytes(b"abcdefghij" * 1_000_000)
    done = run_limited("replay", "--speed", "0", str(text), tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.count(b"abcdefghij") == 1_000_000
