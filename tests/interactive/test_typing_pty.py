"""A long input typed without bracketed paste (a paste in a terminal without it): the
characters read together are inserted at once, and what is sent is exactly what was
typed, in order, around the keys that are not characters (↩ arrows, Ctrl-J)."""

from __future__ import annotations

import itertools
import os

import pytest
from servers import FakeServer
from servers import openai as oa
from session_support import PROMPT, open_session, type_line, wait_prompt

CHUNK = 1000  # bytes written at a time, as a terminal passes a paste on


@pytest.fixture
def server():
    with FakeServer() as server:
        yield server


def long_text(size: int) -> str:
    """`size` characters of words and punctuation, ending with a unique numbered tail."""
    words = itertools.cycle(["lorem", "ipsum,", "dolor", "(sit)", "amet;", "/typed", "fast"])
    text = " ".join(itertools.islice(words, size // 4))[: size - 20]
    return text + "".join(f"{n}" for n in range(10, 20))


def typed(term, data: bytes) -> None:
    for start in range(0, len(data), CHUNK):
        view = memoryview(data)[start : start + CHUNK]
        while view:
            view = view[os.write(term._master, view) :]


def unwrapped(term, prefix: int = 3) -> str:
    """The screen's rows joined, each without the prompt's width (`m> `) at its start."""
    return "".join(row[prefix:] for row in term.screen.display)


def at_empty_prompt(term) -> bool:
    """The prompt, empty, on the cursor's row."""
    return term.display()[term.screen.cursor.y] == PROMPT


def test_twenty_thousand_characters_typed_are_sent_exactly(server, tmp_path):
    server.script(oa.PATH, oa.stream(["ok"]))
    text = long_text(20_000)
    with open_session(server, tmp_path) as term:
        wait_prompt(term, 1)
        typed(term, text.encode())
        term.wait_for(lambda t: text[-40:] in unwrapped(t), 120, "the input's end")
        assert term.display()[term.screen.cursor.y].endswith(text[-10:])
        term.write(b"\r")
        term.wait_for_text("ok")
        term.wait_for(at_empty_prompt, what="the prompt again")
        type_line(term, "/quit")
        assert term.wait_exit() == 0
    assert server.received(oa.PATH)[0].json()["messages"][-1]["content"] == text


def test_keys_amid_typed_characters_act_in_their_place(server, tmp_path):
    """Characters after ← are inserted where ← moved the cursor, Ctrl-J there too;
    the Enter at the end of the flood sends, the rest of it stays for the next prompt."""
    server.script(oa.PATH, oa.stream(["one"]), oa.stream(["two"]))
    first = long_text(5_000)
    data = (
        first.encode()
        + b"\x1b[D" * 5
        + b"XY"
        + b"\n"  # Ctrl-J
        + b"second line\rnext"
    )
    expected = first[:-5] + "XY\nsecond line" + first[-5:]
    with open_session(server, tmp_path) as term:
        wait_prompt(term, 1)
        typed(term, data)
        term.wait_for_text("one")
        term.wait_for(lambda t: t.display()[t.screen.cursor.y] == "m> next", what="next")
        term.write(b" question\r")
        term.wait_for_text("two")
        term.wait_for(at_empty_prompt, what="the prompt again")
        type_line(term, "/quit")
        assert term.wait_exit() == 0
    sent = [r.json()["messages"][-1]["content"] for r in server.received(oa.PATH)]
    assert sent == [expected, "next question"]


def test_an_input_taller_than_the_screen_is_kept_whole_in_the_scrollback(server, tmp_path):
    """prompt_toolkit draws only the rows of an input that fit on the screen; once sent,
    the whole input is written, so scrolling back shows it from its first line."""
    server.script(oa.PATH, oa.stream(["ok"]))
    lines = [f"line {n:02d} of the tall input" for n in range(40)]
    with open_session(server, tmp_path, rows=12) as term:
        wait_prompt(term, 1)
        term.write(b"\x1b[200~" + "\n".join(lines).encode() + b"\x1b[201~")
        term.wait_for_text(lines[-1])
        term.write(b"\r")
        term.wait_for_text("ok")
        term.wait_for(at_empty_prompt, what="the prompt again")
        seen = [row.rstrip() for row in term.lines()]
        first = next(i for i, row in enumerate(seen) if "line 00" in row)
        assert seen[first] == PROMPT + " " + lines[0]
        assert seen[first + 1 : first + 40] == ["   " + line for line in lines[1:]]
        assert server.received()[0].json()["messages"][-1]["content"] == "\n".join(lines)
        type_line(term, "/quit")
