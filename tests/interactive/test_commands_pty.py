"""The slash commands of a session, the input history and completion, typed in a pty."""

from __future__ import annotations

import os
import stat

import pytest
from chat_support import run_chat_process
from servers import FakeServer
from servers import openai as oa
from servers.http import Reply
from session_support import open_session, type_line, wait_prompt


@pytest.fixture
def server():
    with FakeServer() as server:
        yield server


def requests(server: FakeServer) -> list[dict]:
    return [r.json() for r in server.received(oa.PATH)]


def ask_two(term) -> None:
    """Ask q1 and q2 (answered "One." and "Two."), and wait for the third prompt."""
    for number, (question, answered) in enumerate((("q1", "One."), ("q2", "Two.")), 1):
        wait_prompt(term, number)
        type_line(term, question)
        term.wait_for_text(answered)
    wait_prompt(term, 3)


def test_retry_after_undo_never_brings_the_dropped_question_back(server, tmp_path):
    server.script(oa.PATH, oa.stream(["One."]), oa.stream(["Two."]), oa.stream(["One again."]))
    with open_session(server, tmp_path) as term:
        ask_two(term)
        type_line(term, "/undo")
        term.wait_for_text("dropped: q2")
        type_line(term, "/retry")  # the question before it, now the last
        term.wait_for_text("One again.")
        type_line(term, "/undo")
        term.wait_for_text("dropped: q1")
        type_line(term, "/retry")
        term.wait_for_text("nothing to retry yet")
        type_line(term, "/exit")
        assert term.wait_exit() == 0
    sent = requests(server)
    assert [m["content"] for m in sent[2]["messages"]] == ["q1"]
    assert len(sent) == 3


def test_model_clear_retry_and_undo(server, tmp_path):
    server.route("/v1/models", Reply.json(200, {"data": [{"id": "m"}, {"id": "big-model"}]}))
    server.script(
        oa.PATH,
        oa.stream(["One."]),
        oa.stream(["Two."]),
        oa.stream(["Two again."]),
        oa.stream(["Three."]),
        oa.stream(["Fresh."]),
    )
    with open_session(server, tmp_path) as term:
        ask_two(term)
        type_line(term, "/retry")
        term.wait_for_text("Two again.")
        wait_prompt(term, 4)
        type_line(term, "/undo")
        term.wait_for_text("dropped: q2")
        type_line(term, "/model")
        term.wait_for_text("  big-model")
        term.write(b"/mo\t")  # Tab completes the command, a space after it
        term.wait_for(lambda t: t.display()[t.screen.cursor.y] == "m> /model", what="/model")
        term.write(b"bi\t")  # and the model's name
        term.wait_for_text("/model big-model")
        term.write(b"\r")
        term.wait_for_text("model: big-model")
        term.wait_for(lambda t: t.display()[t.screen.cursor.y] == "big-model>", what="prompt")
        type_line(term, "q3")
        term.wait_for_text("Three.")
        term.wait_for(lambda t: t.display()[t.screen.cursor.y] == "big-model>", what="prompt")
        type_line(term, "/clear")
        term.wait_for_text("a new conversation")
        type_line(term, "/nonsense")
        term.wait_for_text("unknown command /nonsense")
        type_line(term, "q4")
        term.wait_for_text("Fresh.")
        term.wait_for(lambda t: t.display()[t.screen.cursor.y] == "big-model>", what="prompt")
        type_line(term, "/exit")
        assert term.wait_exit() == 0
    sent = requests(server)
    assert len(sent) == 5  # nothing was sent for /nonsense
    assert [m["content"] for m in sent[2]["messages"]] == ["q1", "One.", "q2"]  # the retry
    assert sent[3]["model"] == "big-model"
    assert [m["content"] for m in sent[3]["messages"]] == ["q1", "One.", "q3"]  # q2 undone
    assert [m["content"] for m in sent[4]["messages"]] == ["q4"]  # after /clear
    import sqlite3

    db = sqlite3.connect(tmp_path / "data" / "streamcli" / "history.db")
    rows = db.execute("SELECT conversation, prompt FROM exchanges ORDER BY id").fetchall()
    db.close()
    assert [prompt for _, prompt in rows] == ["q1", "q3", "q4"]  # retried and undone: gone
    assert rows[0][0] == rows[1][0] != rows[2][0]  # /clear: a new conversation


def test_history_and_load_continue_a_saved_conversation(server, tmp_path):
    server.script(oa.PATH, oa.stream(["Saved answer."]), oa.stream(["ok"]), oa.stream(["more"]))
    with open_session(server, tmp_path) as term:
        wait_prompt(term, 1)
        type_line(term, "remember 42")
        term.wait_for_text("Saved answer.")
        wait_prompt(term, 2)
        type_line(term, "/clear")
        term.wait_for_text("a new conversation")
        type_line(term, "another")
        term.wait_for_text("ok")
        wait_prompt(term, 3)
        type_line(term, "/history")
        term.wait_for_text("FIRST PROMPT")
        type_line(term, "/load 1")
        term.wait_for_text("conversation 1: 1 question loaded")
        type_line(term, "and then?")
        term.wait_for_text("more")
        wait_prompt(term, 4)
        type_line(term, "/save answer.md")
        term.wait_for_text("saved to answer.md")
        term.write(b"\x04")
        assert term.wait_exit() == 0
    contents = [m["content"] for m in requests(server)[2]["messages"]]
    assert contents == ["remember 42", "Saved answer.", "and then?"]
    saved = (tmp_path / "work" / "answer.md").read_text()
    assert "remember 42" in saved and "Saved answer." in saved and "more" in saved


def test_input_history_is_private_and_recalled_in_the_next_session(server, tmp_path):
    server.script(oa.PATH, oa.stream(["first"]), oa.stream(["second"]))
    with open_session(server, tmp_path) as term:
        wait_prompt(term, 1)
        type_line(term, "my secret question")
        term.wait_for_text("first")
        wait_prompt(term, 2)
        term.write(b"\x04")
        assert term.wait_exit() == 0
    path = tmp_path / "state" / "streamcli" / "input_history"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "my secret question" in path.read_text()
    with open_session(server, tmp_path, "--no-history") as term:
        wait_prompt(term, 1)
        term.write(b"\x1b[A")  # Up: the last session's question
        term.wait_for_text("m> my secret question")
        term.write(b"\r")
        term.wait_for_text("second")
        wait_prompt(term, 2)
        type_line(term, "not kept")
        term.wait_for_text("nothing scripted")  # the server has no third answer
        wait_prompt(term, 3)
        term.write(b"\x04")
        assert term.wait_exit() == 0
    assert "not kept" not in path.read_text()  # --no-history: recalled, not written


def test_tab_completes_slash_commands(server, tmp_path):
    with open_session(server, tmp_path) as term:
        wait_prompt(term, 1)
        term.write(b"/he\t")
        term.wait_for_text("m> /help")
        term.write(b"\r")
        term.wait_for_text("/reasoning")
        type_line(term, "/quit")
        assert term.wait_exit() == 0


def test_stats_and_reasoning_switch_per_turn_and_ctrl_r_searches(server, tmp_path):
    server.script(
        oa.PATH,
        oa.stream(["Plain."], reasoning=["thinking hard"]),
        oa.stream(["Counted."], reasoning=["hidden thought"]),
        oa.stream(["Found."]),
    )
    with open_session(server, tmp_path) as term:
        wait_prompt(term, 1)
        type_line(term, "alpha question")
        term.wait_for_text("Plain.")
        assert "thinking hard" in term.text()
        assert "first token" not in term.text()
        wait_prompt(term, 2)
        type_line(term, "/stats on")
        term.wait_for_text("stats: on")
        type_line(term, "/reasoning off")
        term.wait_for_text("reasoning: off")
        type_line(term, "beta question")
        term.wait_for_text("Counted.")
        term.wait_for_text("first token")
        wait_prompt(term, 5)
        assert "hidden thought" not in term.text()
        term.write(b"\x12")  # Ctrl-R: search the earlier inputs
        term.wait_for_text("I-search backward:")
        term.write(b"alpha")
        term.wait_for_text("I-search backward: alpha")
        term.write(b"\r")  # take the match
        term.wait_for(lambda t: t.display()[t.screen.cursor.y] == "m> alpha question", what="it")
        term.write(b"\r")
        term.wait_for_text("Found.")
        wait_prompt(term, 6)
        term.write(b"\x04")
        assert term.wait_exit() == 0
    assert server.received(oa.PATH)[2].json()["messages"][-1]["content"] == "alpha question"


def test_model_and_chat_say_the_same_when_the_server_refuses_the_key(server, tmp_path):
    """One listing of the models for `chat` and `/model`: the same failure, the same words."""
    server.route("/v1/models", oa.error(401, "Incorrect API key provided"))
    key = {"OPENAI_API_KEY": "sk-test-0123456789"}
    done = run_chat_process("--base-url", server.url + "/v1", "hi", home=tmp_path, **key)
    assert done.status == 1
    chat_says = done.stderr.strip().removeprefix("streamcli: error: ")
    assert "rejected the API key" in chat_says
    with open_session(server, tmp_path, columns=250) as term:
        wait_prompt(term, 1)
        type_line(term, "/model")
        term.wait_for_text("cannot list the models:")
        said = next(line for line in term.lines() if "cannot list the models:" in line)
        assert said.strip() == f"cannot list the models: {chat_says}"
        term.write(b"\x04")
        assert term.wait_exit() == 0


def test_load_with_a_huge_or_strange_number_says_so_and_the_session_goes_on(server, tmp_path):
    """`/load` checks its number as `--conversation` does (one range): a number SQLite
    cannot hold, or a digit that is not ASCII, is one line, not the end of the session."""
    server.script(oa.PATH, oa.stream(["still here"]))
    with open_session(server, tmp_path) as term:
        wait_prompt(term, 1)
        type_line(term, "/load 999999999999999999999999")
        term.wait_for_text("/load ID: must be a number from 1 to 9223372036854775807")
        type_line(term, "/load \u00b2")  # str.isdigit() says yes, int() says no
        term.wait_for_text("/load ID: give a conversation's number")
        type_line(term, "hello")
        term.wait_for_text("still here")
        wait_prompt(term, 2)
        term.write(b"\x04")
        assert term.wait_exit() == 0
