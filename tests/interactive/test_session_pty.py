"""An interactive session in a real pseudo-terminal, read with pyte, as a person types."""

from __future__ import annotations

import time

import pytest
from servers import FakeServer
from servers import openai as oa
from servers.http import Hang
from session_support import open_session, type_line, wait_prompt


@pytest.fixture
def server():
    with FakeServer() as server:
        yield server


def hanging(text: str):
    """An answer that sends `text` and then nothing until the client goes."""
    return oa.sse([*oa.stream_body([text], finish=None, usage=None, done=False), Hang()])


def sent(server: FakeServer) -> list[list[dict]]:
    return [r.json()["messages"] for r in server.received(oa.PATH)]


def test_two_turns_the_second_carries_the_first(server, tmp_path):
    server.script(oa.PATH, oa.stream(["Hello ", "there."]), oa.stream(["Fine, ", "thanks."]))
    with open_session(server, tmp_path) as term:
        wait_prompt(term, 1)
        type_line(term, "hi")
        term.wait_for_text("Hello there.")
        wait_prompt(term, 2)
        type_line(term, "how are you?")
        term.wait_for_text("Fine, thanks.")
        wait_prompt(term, 3)
        type_line(term, "/exit")
        assert term.wait_exit() == 0
    assert server.accepted == 1  # the connection was kept alive for the second turn
    assert sent(server)[1] == [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "Hello there."},
        {"role": "user", "content": "how are you?"},
    ]


def stored(home) -> list[tuple]:
    """(conversation, prompt, status, answer) of every stored exchange."""
    import sqlite3

    db = sqlite3.connect(home / "data" / "streamcli" / "history.db")
    try:
        query = "SELECT conversation, prompt, status, answer FROM exchanges ORDER BY id"
        return db.execute(query).fetchall()
    finally:
        db.close()


def test_a_paste_of_several_lines_is_one_message(server, tmp_path):
    server.script(oa.PATH, oa.stream(["Got it."]))
    with open_session(server, tmp_path) as term:
        wait_prompt(term, 1)
        term.write(b"\x1b[200~first line\rsecond line\r\rfourth line\x1b[201~")
        term.wait_for_text("fourth line")
        assert not server.received(oa.PATH)  # nothing sent at a newline of the paste
        term.write(b"\r")
        term.wait_for_text("Got it.")
        wait_prompt(term, 2)
        term.write(b"\x04")  # Ctrl-D on an empty line
        assert term.wait_exit() == 0
    question = sent(server)[0][-1]["content"]
    assert question == "first line\nsecond line\n\nfourth line"


def test_alt_enter_and_ctrl_j_insert_newlines(server, tmp_path):
    server.script(oa.PATH, oa.stream(["ok"]))
    with open_session(server, tmp_path) as term:
        wait_prompt(term, 1)
        term.write(b"one\x1b\rtwo\nthree\r")
        term.wait_for_text("ok")
        wait_prompt(term, 2)
        type_line(term, "/quit")
        assert term.wait_exit() == 0
    assert sent(server)[0][-1]["content"] == "one\ntwo\nthree"


def test_ctrl_c_stops_the_answer_and_the_next_question_carries_it(server, tmp_path):
    server.script(oa.PATH, hanging("Partial "), oa.stream(["Second."]))
    with open_session(server, tmp_path) as term:
        wait_prompt(term, 1)
        type_line(term, "long one")
        term.wait_for_text("Partial")
        term.write(b"\x03")
        wait_prompt(term, 2)
        assert server.received(oa.PATH)[0].client_gone.wait(5)  # the stream was closed
        type_line(term, "next")
        term.wait_for_text("Second.")
        wait_prompt(term, 3)
        term.write(b"abc\x03")  # Ctrl-C at the prompt clears the line
        term.wait_for(lambda t: "abc" not in t.display()[t.screen.cursor.y], what="cleared")
        type_line(term, "/exit")
        assert term.wait_exit() == 0
    second = sent(server)[1]
    assert second[0] == {"role": "user", "content": "long one"}
    assert second[1]["role"] == "assistant"
    assert second[1]["content"].startswith("Partial")
    assert "interrupted" in second[1]["content"]
    rows = stored(tmp_path)
    assert [(r[1], r[2]) for r in rows] == [("long one", "interrupted"), ("next", "complete")]
    assert rows[0][0] == rows[1][0]  # one conversation


def test_sigterm_at_the_prompt_and_during_an_answer(server, tmp_path):
    import signal

    server.script(oa.PATH, oa.stream(["Done."]), hanging("Half "))
    with open_session(server, tmp_path) as term:
        wait_prompt(term, 1)
        type_line(term, "one")
        term.wait_for_text("Done.")
        wait_prompt(term, 2)
        type_line(term, "two")
        term.wait_for_text("Half")
        term.send_signal(signal.SIGTERM)
        assert term.wait_exit() == 143
    assert [(r[1], r[2]) for r in stored(tmp_path)] == [("one", "complete"), ("two", "interrupted")]
    with open_session(server, tmp_path) as term:
        wait_prompt(term, 1)
        term.send_signal(signal.SIGTERM)
        assert term.wait_exit() == 143


def test_json_without_a_prompt_is_refused(server, tmp_path):
    with open_session(server, tmp_path, "--json") as term:
        assert term.wait_exit() == 2
        assert "--json needs a prompt" in term.text()
        assert "Traceback" not in term.text()


def test_interactive_with_a_prompt_answers_it_then_stays(server, tmp_path):
    server.script(oa.PATH, oa.stream(["First answer."]), oa.stream(["Second answer."]))
    with open_session(server, tmp_path, "-i", "first", "question") as term:
        term.wait_for_text("First answer.")
        wait_prompt(term, 1)
        type_line(term, "again")
        term.wait_for_text("Second answer.")
        wait_prompt(term, 2)
        term.write(b"\x04")
        assert term.wait_exit() == 0
    assert sent(server)[1][0] == {"role": "user", "content": "first question"}


def test_without_a_terminal_the_one_shot_rules_stay(server, tmp_path):
    import os
    import subprocess

    from conftest import STREAMCLI
    from session_support import session_env

    master, slave = os.openpty()  # stdin a terminal, stdout a pipe: no session
    try:
        env = {**os.environ, **session_env(tmp_path)}
        url = server.url + "/v1"
        done = subprocess.run(
            [*STREAMCLI, "chat", "-m", "m", "--base-url", url],
            stdin=slave,
            capture_output=True,
            env=env,
            timeout=30,
        )
        assert done.returncode == 2
        assert b"nothing to ask" in done.stderr
        refused = subprocess.run(  # -i with stdin piped
            [*STREAMCLI, "chat", "-i", "-m", "m", "--base-url", url, "hi"],
            input=b"piped",
            capture_output=True,
            env=env,
            timeout=30,
        )
        assert refused.returncode == 2
        assert refused.stderr.decode().strip().splitlines() == [
            "streamcli: error: --interactive needs a terminal on stdin and stdout "
            "(without it, a prompt or piped text is answered once)"
        ]
    finally:
        os.close(master)
        os.close(slave)
    assert not server.received()


def test_sigterm_as_the_session_starts_leaves_the_terminal_as_found(server, tmp_path):
    import signal
    import termios

    with open_session(server, tmp_path) as term:
        fd = term._master  # its modes are the terminal's (the pty's other end)
        deadline = time.monotonic() + 30
        while termios.tcgetattr(fd)[3] & termios.ECHO:  # until the session turns echo off
            assert time.monotonic() < deadline
            time.sleep(0.0005)
        term.send_signal(signal.SIGTERM)
        assert term.wait_exit() == 143
        assert termios.tcgetattr(fd)[3] & termios.ECHO
        assert "Traceback" not in term.text()
