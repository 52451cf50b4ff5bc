"""Running `streamcli chat` against the fake servers: a clean environment, parsed output."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from conftest import STREAMCLI, cli_env

# Variables that choose a provider or hold a key: never inherited by a test.
CHAT_VARIABLES = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "OLLAMA_HOST",
    "OLLAMA_API_KEY",
    "STREAMCLI_PROVIDER",
    "STREAMCLI_MODEL",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
)


@dataclass
class Result:
    status: int
    stdout: bytes
    stderr: str

    @property
    def events(self) -> list[dict[str, Any]]:
        return [orjson.loads(line) for line in self.stdout.splitlines()]

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == kind]

    @property
    def text(self) -> str:
        """The answer text, from the `text` events (with --json) or stdout."""
        if self.stdout.startswith(b'{"type"'):
            return "".join(e["text"] for e in self.of("text"))
        return self.stdout.decode()

    @property
    def error(self) -> dict[str, Any]:
        (error,) = self.of("error")
        return error


def chat_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in cli_env().items() if k not in CHAT_VARIABLES}
    env["XDG_CONFIG_HOME"] = str(home)  # no user config file
    env["NO_PROXY"] = "*"
    env.update(extra)
    return env


def run_chat(*args: str, home: Path, input: bytes = b"", timeout: float = 60, **env: str) -> Result:
    """`streamcli chat ARGS` run in this process (Typer's runner: the real command, the real
    pipeline and sockets, stdin, stdout and stderr as pipes would be), to completion."""
    from typer.testing import CliRunner

    from streamcli.cli import app

    environ: dict[str, str | None] = {name: None for name in CHAT_VARIABLES}
    environ.update(XDG_CONFIG_HOME=str(home), NO_PROXY="*", NO_COLOR=None, FORCE_COLOR=None)
    environ.update(env)
    result = CliRunner().invoke(app, ["chat", *args], input=input, env=environ)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Result(result.exit_code, result.stdout_bytes, result.stderr_bytes.decode())


def run_chat_process(
    *args: str, home: Path, input: bytes = b"", timeout: float = 60, **env: str
) -> Result:
    """`streamcli chat ARGS` as its own process (stdin, stdout and stderr are pipes)."""
    done = subprocess.run(
        [*STREAMCLI, "chat", *args],
        input=input,
        capture_output=True,
        timeout=timeout,
        env=chat_env(home, **env),
    )
    return Result(done.returncode, done.stdout, done.stderr.decode())


def start_chat(*args: str, home: Path, **env: str) -> subprocess.Popen[bytes]:
    """`streamcli chat ARGS` started in the background (stdin closed)."""
    return subprocess.Popen(
        [*STREAMCLI, "chat", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=chat_env(home, **env),
    )


def assert_no_secret(secret: str, *blobs: bytes | str) -> None:
    for blob in blobs:
        text = blob.decode("utf-8", "replace") if isinstance(blob, bytes) else blob
        assert secret not in text
        assert secret[-12:] not in text


def exists(path: str | os.PathLike[str]) -> bool:
    return Path(path).exists()
