"""The input line and the terminal around it: what a paste shows, Ctrl-Z, tiny widths."""

from __future__ import annotations

import pytest
from servers import FakeServer
from servers import openai as oa
from session_support import open_session, type_line, wait_prompt


@pytest.fixture
def server():
    with FakeServer() as server:
        yield server


def test_a_pasted_bidi_override_is_shown_as_its_escape_and_sent_exactly(server, tmp_path):
    """Everywhere else U+202E is shown as `\\u202e`; the input line too (it would flip the
    rest of the line), while the text sent is what was pasted."""
    server.script(oa.PATH, oa.stream(["ok"]))
    pasted = "evil\u202etxt.exe and a\u200bb 👨\u200d👩\u200d👧"
    with open_session(server, tmp_path) as term:
        wait_prompt(term, 1)
        start = len(term.raw)
        term.write(b"\x1b[200~" + pasted.encode() + b"\x1b[201~")
        term.wait_for_text("evil\\u202etxt.exe")
        echoed = bytes(term.raw[start:]).decode("utf-8", "replace")
        assert "\u202e" not in echoed and "\u200b" not in echoed
        assert "a\\u200bb" in term.text()
        term.write(b"\x1b[D" * 3 + b"X\r")  # the cursor moves over what the line holds
        term.wait_for_text("ok")
        wait_prompt(term, 2)
        type_line(term, "/quit")
        assert term.wait_exit() == 0
    sent = server.received(oa.PATH)[0].json()["messages"][-1]["content"]
    assert sent == pasted[:-3] + "X" + pasted[-3:]
