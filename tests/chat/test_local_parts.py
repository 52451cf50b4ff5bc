"""The local provider's parts: stop strings, the transcript, the bundled model's cache."""

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
    TRANSCRIPT_STOPS,
    RepetitionGuard,
    StopScanner,
    transcript,
)
from streamcli.sources.chat.settings import reachable

# -- stop strings ----------------------------------------------------------------------


def scan(pieces: list[str], stops: tuple[str, ...] = TRANSCRIPT_STOPS) -> tuple[str, bool]:
    scanner = StopScanner(stops)
    shown = []
    for piece in pieces:
        shown.append(scanner.feed(piece))
        if scanner.stopped:
            break
    shown.append(scanner.flush())
    return "".join(shown), scanner.stopped


def test_the_answer_ends_before_the_next_turn():
    assert scan([" Paris", ".", "\n", "User", ":", " and"]) == (" Paris.", True)


def test_a_partial_stop_is_held_back_then_released():
    scanner = StopScanner(TRANSCRIPT_STOPS)
    assert scanner.feed("line\nUs") == "line"
    assert scanner.feed("ually") == "\nUsually"
    assert scanner.feed("\n") == ""
    assert scanner.flush() == "\n"
    assert not scanner.stopped


def test_without_stops_everything_passes():
    assert scan(["a\nUser:", "b"], ()) == ("a\nUser:b", False)


@given(st.text(alphabet="ab\nUser:Assistant", max_size=40), st.data())
def test_how_text_is_cut_into_pieces_does_not_matter(text, data):
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=8)))
    pieces = [text[i:j] for i, j in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    found = [i for i in (text.find(s) for s in TRANSCRIPT_STOPS) if i >= 0]
    expected = text[: min(found)] if found else text
    assert scan(pieces) == (expected, bool(found))


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
    yield tmp_path
    shutil.rmtree(tmp_path / "streamcli", ignore_errors=True)


def test_the_cache_follows_xdg_cache_home(tmp_path):
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
