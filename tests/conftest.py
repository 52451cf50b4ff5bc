"""Shared helpers: run the real streamcli, write recordings."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson
import pytest

STREAMCLI = [sys.executable, "-m", "streamcli"]


def cli_env(**extra: str) -> dict[str, str]:
    """A clean environment for a streamcli subprocess: no colour forcing, no user config."""
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR")}
    env.update(extra)
    return env


def run_cli(
    *args: str, input: bytes | None = None, timeout: float = 60, **env: str
) -> subprocess.CompletedProcess[bytes]:
    """Run `streamcli ARGS` to completion with stdout and stderr captured (pipes)."""
    return subprocess.run(
        [*STREAMCLI, *args],
        input=input,
        capture_output=True,
        timeout=timeout,
        env=cli_env(**env),
    )


def write_jsonl(path: Path, items: Iterable[Any]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(item) + b"\n" for item in items))
    return path


def read_jsonl(data: bytes) -> list[Any]:
    return [orjson.loads(line) for line in data.splitlines()]


@pytest.fixture
def recording(tmp_path: Path):
    """Write a streamcli recording from a list of events and return its path."""

    def make(events: Iterable[dict[str, Any]], name: str = "rec.jsonl") -> Path:
        return write_jsonl(tmp_path / name, events)

    return make


@pytest.fixture(autouse=True, scope="session")
def _private_data_home(tmp_path_factory: pytest.TempPathFactory):
    """No test writes the chat history of the person running them: XDG_DATA_HOME (and
    so the history database) points into a temporary directory for the whole session,
    for streamcli run in-process and as a subprocess alike."""
    saved = os.environ.get("XDG_DATA_HOME")
    os.environ["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp("data-home"))
    yield
    if saved is None:
        os.environ.pop("XDG_DATA_HOME", None)
    else:
        os.environ["XDG_DATA_HOME"] = saved
