"""Keys a server or model repeats — split across chunks, altered — never reach stdout,
`--json`, a recording, the history database or an error line."""

from __future__ import annotations

import sqlite3

import pytest
from chat_support import run_chat
from servers import FakeServer
from servers import openai as oa

KEY = "sk-proj-AbCdEf1234567890XyZw"


@pytest.fixture
def server():
    with FakeServer() as server:
        yield server


def everything(result, tmp_path) -> list[str]:
    """stdout, stderr, the recording and every text in the history database."""
    blobs = [result.stdout.decode(), result.stderr, (tmp_path / "rec.jsonl").read_text()]
    db = sqlite3.connect(tmp_path / "data" / "streamcli" / "history.db")
    tables = db.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
    for (table,) in tables:
        blobs += [repr(row) for row in db.execute(f"SELECT * FROM {table}")]
    db.close()
    return blobs


def leaks(blobs: list[str]) -> list[str]:
    forms = [KEY, KEY.upper(), KEY.lower(), KEY[::-1], KEY[-20:], KEY[-20:].upper()]
    return [form for form in forms for blob in blobs if form in blob or form.lower() in blob]


def chat(server, tmp_path, *args):
    return run_chat(
        "hi", "-m", "m", "--base-url", server.url + "/v1", "--record", str(tmp_path / "rec.jsonl"),
        *args, home=tmp_path, OPENAI_API_KEY=KEY, XDG_DATA_HOME=str(tmp_path / "data"),
    )  # fmt: skip


@pytest.mark.parametrize("json", [True, False])
def test_a_key_split_across_chunks_is_masked_everywhere(server, tmp_path, json):
    back = KEY[::-1]
    pieces = ["Your key is sk-pr", "oj-AbCdEf1234567890XyZw", ", and ", back[:9], back[9:]]
    server.script(oa.PATH, oa.stream([*pieces, " — bye"]))
    result = chat(server, tmp_path, *(["--json"] if json else []))
    assert result.status == 0, result.stderr
    ending = "" if json else "\n"  # into a pipe, the text ends with a newline
    assert result.text == "Your key is [redacted], and [redacted] — bye" + ending
    assert leaks(everything(result, tmp_path)) == []


def test_an_altered_key_in_an_error_is_masked_in_the_line_the_event_and_the_history(
    server, tmp_path
):
    echoed = f"bad key …{KEY[-20:]} ({KEY.upper()}) reversed {KEY[::-1]}"
    server.script(oa.PATH, oa.error(400, echoed))
    result = chat(server, tmp_path, "--json")
    assert result.status == 1
    assert "[redacted]" in result.error["message"]
    assert leaks(everything(result, tmp_path)) == []


def test_a_key_in_a_tool_call_s_arguments_is_masked(server, tmp_path):
    arguments = '{"path": "' + KEY.upper() + '"}'
    call = {"index": 0, "id": "c1", "type": "function",
            "function": {"name": "list_dir", "arguments": arguments}}  # fmt: skip
    body = [oa.event(oa.chunk(tool_calls=[call])), oa.event(oa.chunk(finish="tool_calls"))]
    server.script(oa.PATH, oa.sse([*body, b"data: [DONE]\n\n"]))
    result = chat(server, tmp_path, "--json")
    assert leaks(everything(result, tmp_path)) == []
