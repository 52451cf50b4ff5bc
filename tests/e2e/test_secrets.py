"""Keys a server or model repeats — split across chunks, altered — never reach stdout,
`--json`, a recording, the history database or an error line."""

from __future__ import annotations

import os
import re
import sqlite3
import tempfile
import unicodedata
from pathlib import Path

import pytest
from chat_support import run_chat
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from servers import FakeServer
from servers import openai as oa
from servers.http import Drop, Pause, paced

from streamcli.redact import MASK

KEY = "sk-proj-AbCdEf1234567890XyZw"
TEXTS = ("text", "reasoning")


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


def chat(server, tmp_path, *args, key=KEY, **env):
    return run_chat(
        "hi", "-m", "m", "--base-url", server.url + "/v1", "--record", str(tmp_path / "rec.jsonl"),
        *args, home=tmp_path, OPENAI_API_KEY=key, XDG_DATA_HOME=str(tmp_path / "data"), **env,
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


@pytest.mark.parametrize("json", [True, False])
def test_the_start_of_a_key_at_a_dropped_connection_never_shows(server, tmp_path, json):
    """Cut off, the answer could have gone on into the key: its held start is masked."""
    body = oa.stream_body(["Your key is ", KEY[:11]], finish=None, usage=None, done=False)
    server.script(oa.PATH, oa.sse([*body, Pause(0.05), Drop()]))
    result = chat(server, tmp_path, *(["--json"] if json else []))
    assert result.status == 1, result.stderr
    assert result.text.rstrip("\n") == "Your key is [redacted]"
    assert all(KEY[:8] not in blob for blob in everything(result, tmp_path))


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


# -- strings the server controls besides the text (issue 26, item 4) ----------------------


def test_a_key_in_the_finish_reason_a_tool_call_s_id_and_name_and_the_model_list_is_masked(
    server, tmp_path
):
    call = {"index": 0, "id": KEY, "type": "function",
            "function": {"name": "list_dir", "arguments": "{}"}}  # fmt: skip
    asks = [oa.event(oa.chunk(tool_calls=[call], model=KEY)), oa.event(oa.chunk(finish=KEY))]
    server.script(oa.PATH, oa.sse([*asks, b"data: [DONE]\n\n"]), oa.stream(["ok"], finish=KEY))
    server.route("/v1/models", oa.models([KEY]))
    for flags in (["--json"], []):
        result = run_chat(
            "hi", "--base-url", server.url + "/v1", "--record", str(tmp_path / "rec.jsonl"),
            "--tool", "list_dir", "--approve", *flags,
            home=tmp_path, OPENAI_API_KEY=KEY, XDG_DATA_HOME=str(tmp_path / "data"),
        )  # fmt: skip
        assert result.status == 0, result.stderr
        assert leaks(everything(result, tmp_path)) == []
        server.script(oa.PATH, oa.sse([*asks, b"data: [DONE]\n\n"]), oa.stream(["ok"], finish=KEY))
    (start,) = result.of("start") if result.stdout.startswith(b"{") else [{"model": "-"}]
    assert KEY not in str(start)


def test_a_tool_s_name_that_is_the_key_is_masked_on_screen(server, tmp_path):
    call = {"index": 0, "id": "c1", "type": "function",
            "function": {"name": KEY, "arguments": "{}"}}  # fmt: skip
    asks = [oa.event(oa.chunk(tool_calls=[call])), oa.event(oa.chunk(finish="tool_calls"))]
    server.script(oa.PATH, oa.sse([*asks, b"data: [DONE]\n\n"]))
    result = chat(server, tmp_path)
    assert "[redacted]" in result.stdout.decode() + result.stderr
    assert leaks(everything(result, tmp_path)) == []


def test_every_key_streamcli_knows_of_is_masked_in_what_a_tool_prints(server, tmp_path):
    other = "sk-ant-api03-QqWwEeRrTtYyUuIiOoPp"
    (tmp_path / "secret.txt").write_text(f"anthropic: {other}; again {other[::-1]}\n")
    call = {"index": 0, "id": "c1", "type": "function",
            "function": {"name": "read_file", "arguments": '{"path": "secret.txt"}'}}  # fmt: skip
    asks = oa.sse([oa.event(oa.chunk(tool_calls=[call])), oa.event(oa.chunk(finish="tool_calls")),
                   b"data: [DONE]\n\n"])  # fmt: skip
    server.script(oa.PATH, asks, oa.stream(["done"]))
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = chat(server, tmp_path, "--tool", "read_file", "--approve", "--json",
                      ANTHROPIC_API_KEY=other, GITHUB_TOKEN="ghp_" + "Zx9" * 8)  # fmt: skip
    finally:
        os.chdir(cwd)
    assert result.status == 0, result.stderr
    (ended,) = result.of("tool_end")
    assert ended["ok"] and "[redacted]" in ended["output"]
    sent = str(server.received(oa.PATH)[-1].json())
    for blob in [*everything(result, tmp_path), sent]:
        assert other not in blob and other[::-1] not in blob


def test_another_provider_s_key_in_the_config_file_is_masked(server, tmp_path):
    other = "sk-ant-api03-MmNnBbVvCcXxZzLlKkJj"
    key_file = tmp_path / "anthropic.key"
    key_file.write_text(other + "\n")
    key_file.chmod(0o600)
    (tmp_path / "streamcli").mkdir()
    (tmp_path / "streamcli" / "config.toml").write_text(f'[anthropic]\nkey_file = "{key_file}"\n')
    server.script(oa.PATH, oa.stream(["the other key is sk-ant-api03-Mm", "NnBbVvCcXxZzLlKkJj ok"]))
    result = chat(server, tmp_path, "--json")
    assert result.status == 0, result.stderr
    assert "[redacted]" in "".join(e["text"] for e in result.of("text"))
    for blob in everything(result, tmp_path):
        assert other not in blob and other[-12:] not in blob


# -- a key across chunks, event kinds and invisible characters (item 5) -------------------

# A key with none of the filler's characters, and no run of digits a number could show.
PKEY = "sk-proj-HqXyZtQrKpJdGfBcEaSoIh"
INVISIBLES = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u202e", "\U000e0041"]
# Characters that are not the key's, so the key's text is all that can be masked.
FILLER = st.text(st.sampled_from(list(" .,!?;:()+=*#&VvWwUuNnMmLl\n")), max_size=20)
ESCAPED = re.compile(r"\\+(?:u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|x[0-9a-fA-F]{2})")


def seen(blob: str) -> str:
    """`blob` as a reader sees it: without invisible characters, escaped or not."""
    unescaped = ESCAPED.sub("", blob)
    return "".join(c for c in unescaped if unicodedata.category(c) != "Cf" and c not in INVISIBLES)


def fragments(blob: str, size: int = 5) -> list[str]:
    """The pieces of `size` characters of the key (any case, either way) in `blob`."""
    folded = seen(blob).lower()
    forms = (PKEY.lower(), PKEY.lower()[::-1])
    return [
        f[i : i + size]
        for f in forms
        for i in range(len(f) - size + 1)
        if f[i : i + size] in folded
    ]


@st.composite
def split_keys(draw):
    """The key cut at random places, each piece a text or a reasoning event, invisible
    characters put between random characters, between filler text."""
    key = list(PKEY)
    for at in draw(st.lists(st.integers(1, len(PKEY) - 1), max_size=6)):
        key[at] = draw(st.sampled_from(INVISIBLES)) + key[at]
    cuts = sorted(set(draw(st.lists(st.integers(1, len(key) - 1), max_size=6))))
    pieces = ["".join(key[a:b]) for a, b in zip([0, *cuts], [*cuts, len(key)], strict=True)]
    kinds = draw(st.lists(st.sampled_from(["text", "reasoning"]), min_size=len(pieces),
                          max_size=len(pieces)))  # fmt: skip
    return draw(FILLER), list(zip(kinds, pieces, strict=True)), draw(FILLER)


def body(before: str, parts: list[tuple[str, str]], after: str) -> list[bytes]:
    chunks = [oa.chunk(before)] if before else []
    chunks += [oa.chunk(p) if kind == "text" else oa.chunk(reasoning=p) for kind, p in parts]
    chunks += [oa.chunk(after)] if after else []
    return [oa.event(c) for c in chunks] + [oa.event(oa.chunk(finish="stop")), b"data: [DONE]\n\n"]


@pytest.fixture(scope="module")
def shared_server():
    with FakeServer() as server:
        yield server


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stream=split_keys())
def test_a_key_cut_anyhow_across_kinds_and_invisible_characters_never_shows(shared_server, stream):
    before, parts, after = stream
    with tempfile.TemporaryDirectory() as home:
        path = Path(home)
        for flags in (["--json"], []):
            shared_server.script(oa.PATH, oa.sse(body(before, parts, after)))
            result = chat(shared_server, path, *flags, key=PKEY)
            assert result.status == 0, result.stderr
            blobs = everything(result, path)
            assert [b for b in blobs if fragments(b)] == []
            if flags:  # the text and the reasoning, read in order: the key masked whole
                read = "".join(e["text"] for e in result.events if e["type"] in TEXTS)
                assert seen(read) == before + MASK + after


@pytest.mark.parametrize("pause", [0.0, 0.2])  # the tool call in the text's read, or after it
@pytest.mark.parametrize("json", [True, False])
def test_a_key_begun_before_a_tool_call_and_ended_after_it_never_shows(
    server, tmp_path, json, pause
):
    call = {"index": 0, "id": "c1", "type": "function",
            "function": {"name": "list_dir", "arguments": "{}"}}  # fmt: skip
    first = [oa.event(oa.chunk("Your key is " + PKEY[:11])), oa.event(oa.chunk(tool_calls=[call])),
             oa.event(oa.chunk(finish="tool_calls")), b"data: [DONE]\n\n"]  # fmt: skip
    server.script(oa.PATH, oa.sse(paced(first, pause)), oa.stream([PKEY[11:] + " ok"]))
    flags = ["--tool", "list_dir", "--approve", *(["--json"] if json else [])]
    result = chat(server, tmp_path, *flags, key=PKEY)
    assert result.status == 0, result.stderr
    assert [b for b in everything(result, tmp_path) if fragments(b)] == []
    assert seen(result.text).startswith("Your key is " + MASK)


def test_a_symbolic_link_as_the_history_database_is_refused(server, tmp_path):
    target = tmp_path / "elsewhere.db"
    target.write_bytes(b"")
    target.chmod(0o644)
    (tmp_path / "data" / "streamcli").mkdir(parents=True)
    (tmp_path / "data" / "streamcli" / "history.db").symlink_to(target)
    server.script(oa.PATH, oa.stream(["fine"]))
    result = chat(server, tmp_path)
    assert result.stdout == b"fine\n"
    assert "symbolic link" in result.stderr and len(result.stderr.splitlines()) == 1
    assert target.read_bytes() == b"" and target.stat().st_mode & 0o777 == 0o644
