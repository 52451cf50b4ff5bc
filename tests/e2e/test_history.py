"""Conversation history: the SQLite store itself, and `streamcli chat` storing and
continuing conversations against the real fake servers; the `history` command."""

from __future__ import annotations

import os
import select
import signal
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from chat_support import Result, chat_env, run_chat
from conftest import STREAMCLI
from servers import Drop, FakeServer
from servers import anthropic as an
from servers import ollama as ol
from servers import openai as oa

from streamcli.history.store import BUSY_TIMEOUT, INTERRUPTED_NOTE, History, HistoryError

KEY = "sk-test-0123456789abcdef"


@pytest.fixture
def server():
    with FakeServer() as server:
        yield server


@pytest.fixture
def data(tmp_path) -> Path:
    return tmp_path / "data"


def db_path(data: Path) -> Path:
    return data / "streamcli" / "history.db"


def chat(server: FakeServer, home: Path, data: Path, *args: str, **env: str) -> Result:
    return run_chat(
        *args, "-m", "m", "-p", "ollama", "--base-url", server.url,
        home=home, XDG_DATA_HOME=str(data), **env,
    )  # fmt: skip


def exchanges(data: Path) -> list[dict]:
    history = History.open(db_path(data))
    try:
        out = []
        for summary in reversed(history.summaries(None)):
            conversation = history.conversation(summary.id)
            assert conversation is not None
            out += [{**e, "conversation": summary.id} for e in conversation["exchanges"]]
        return out
    finally:
        history.close()


# -- the store -------------------------------------------------------------------------


def test_the_database_is_private_and_uses_write_ahead_logging(tmp_path):
    path = tmp_path / "deep" / "streamcli" / "history.db"
    history = History.open(path)
    history.begin(None, prompt="p", system=None, provider="x", model="m")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert history._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    history.close()


def test_earlier_messages_skip_failures_and_mark_interruptions(tmp_path):
    history = History.open(tmp_path / "h.db")
    conversation, first = history.begin(None, prompt="one", system="S1", provider="p", model="m")
    answer = [{"role": "assistant", "content": "1"}]
    history.finish(first, status="complete", messages=answer, answer="1")
    _, failed = history.begin(conversation, prompt="two", system="S2", provider="p", model="m")
    history.finish(failed, status="failed", error="HTTP 500")
    _, cut = history.begin(conversation, prompt="three", system="S3", provider="p", model="m")
    history.finish(cut, status="interrupted", messages=[{"role": "assistant", "content": "th"}])
    _, empty = history.begin(conversation, prompt="four", system=None, provider="p", model="m")
    history.finish(empty, status="interrupted", messages=[])
    history.begin(conversation, prompt="five", system=None, provider="p", model="m")  # running
    messages, system = history.earlier(conversation)
    assert messages == [
        {"role": "user", "content": "one"},
        {"role": "assistant", "content": "1"},
        {"role": "user", "content": "three"},
        {"role": "assistant", "content": f"th\n\n{INTERRUPTED_NOTE}"},
        {"role": "user", "content": "four"},
        {"role": "assistant", "content": INTERRUPTED_NOTE},
    ]
    assert system is None  # the last exchange that counts had none
    assert history.latest() == conversation
    history.close()


def test_a_newer_schema_or_a_broken_file_is_refused_clearly(tmp_path):
    path = tmp_path / "h.db"
    sqlite3.connect(path).execute("PRAGMA user_version = 99").connection.close()
    with pytest.raises(HistoryError, match="newer streamcli"):
        History.open(path)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(HistoryError, match="cannot use the history"):
        History.open(junk)


WRITER = """
import sys
from pathlib import Path
from streamcli.history.store import History
history = History.open(Path(sys.argv[1]))
for i in range(int(sys.argv[2])):
    conversation, exchange = history.begin(None, prompt=f"{sys.argv[3]} {i}", system=None,
                                           provider="p", model="m")
    history.finish(exchange, status="complete", answer="x" * 2000,
                   messages=[{"role": "assistant", "content": "x" * 2000}])
    print(i, flush=True)
"""


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    path = tmp_path / "h.db"
    command = [sys.executable, "-c", WRITER, str(path), "150"]
    writers = [subprocess.Popen([*command, name], stdout=subprocess.PIPE) for name in "ab"]
    for writer in writers:
        writer.communicate(timeout=120)
        assert writer.returncode == 0
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = db.execute("SELECT prompt, status FROM exchanges").fetchall()
    assert len(rows) == 300 and {s for _, s in rows} == {"complete"}
    assert {p for p, _ in rows} == {f"{n} {i}" for n in "ab" for i in range(150)}


def test_a_process_killed_mid_write_leaves_a_usable_database(tmp_path):
    path = tmp_path / "h.db"
    History.open(path).close()
    for round_ in range(4):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), "100000", f"r{round_}"],
            stdout=subprocess.PIPE,
        )
        assert writer.stdout is not None
        for _ in range(5 + 7 * round_):  # let it write a while, then kill it mid-stream
            writer.stdout.readline()
        writer.kill()
        writer.wait(30)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    statuses = {s for (s,) in db.execute("SELECT status FROM exchanges")}
    assert statuses <= {"complete", "running"}
    assert (
        db.execute("SELECT COUNT(*) FROM exchanges WHERE status = 'complete'").fetchone()[0] >= 20
    )
    db.close()
    history = History.open(path)  # and it is still writable
    history.begin(None, prompt="after", system=None, provider="p", model="m")
    history.close()


# -- chat stores exchanges --------------------------------------------------------------


def test_an_exchange_is_stored_with_everything(server, tmp_path, data):
    server.script(ol.PATH, ol.stream(["Hel", "lo"], thinking=["hm"]))
    result = chat(server, tmp_path, data, "hi there", "-s", "be brief")
    assert result.status == 0
    (exchange,) = exchanges(data)
    assert exchange["prompt"] == "hi there" and exchange["system"] == "be brief"
    assert exchange["answer"] == "Hello" and exchange["status"] == "complete"
    assert exchange["provider"] == "ollama" and exchange["model"] == "m"
    assert exchange["messages"] == [{"role": "assistant", "content": "Hello"}]
    assert (exchange["input_tokens"], exchange["output_tokens"]) == (12, 7)
    assert exchange["end_reason"] == "stop" and exchange["ttft_ms"] >= 0
    assert exchange["duration_ms"] >= 0 and exchange["finished"] >= exchange["started"]


def test_continue_sends_the_earlier_messages_and_keeps_the_system_prompt(server, tmp_path, data):
    server.script(ol.PATH, ol.stream(["Paris."]), ol.stream(["2.1 million."]), ol.stream(["x"]))
    chat(server, tmp_path, data, "capital of France?", "-s", "terse")
    result = chat(server, tmp_path, data, "-c", "population?")
    assert result.status == 0
    messages = server.received(ol.PATH)[1].json()["messages"]
    assert messages == [
        {"role": "system", "content": "terse"},
        {"role": "user", "content": "capital of France?"},
        {"role": "assistant", "content": "Paris."},
        {"role": "user", "content": "population?"},
    ]
    first, second = exchanges(data)
    assert first["conversation"] == second["conversation"]
    chat(server, tmp_path, data, "new topic")  # no -c: a new conversation
    third = exchanges(data)[-1]
    assert third["conversation"] != first["conversation"]
    assert len(server.received(ol.PATH)[2].json()["messages"]) == 1


def test_conversation_id_continues_a_given_one(server, tmp_path, data):
    server.script(ol.PATH, ol.stream(["A"]), ol.stream(["B"]), ol.stream(["C"]))
    chat(server, tmp_path, data, "first")
    chat(server, tmp_path, data, "second")
    first_id = exchanges(data)[0]["conversation"]
    result = chat(server, tmp_path, data, "--conversation", str(first_id), "more", "-s", "new")
    assert result.status == 0
    messages = server.received(ol.PATH)[2].json()["messages"]
    assert [m["content"] for m in messages] == ["new", "first", "A", "more"]


def test_continuing_what_does_not_exist_is_bad_usage(server, tmp_path, data):
    result = chat(server, tmp_path, data, "-c", "hi")
    assert result.status == 2 and "no conversation to continue" in result.stderr
    result = chat(server, tmp_path, data, "--conversation", "42", "hi")
    assert result.status == 2 and "no conversation 42" in result.stderr
    result = chat(server, tmp_path, data, "-c", "--conversation", "1", "hi")
    assert result.status == 2
    assert not server.received()


def test_a_failed_request_stores_no_assistant_message(server, tmp_path, data):
    server.script(ol.PATH, ol.stream(["Good."]))
    server.script(ol.PATH, ol.error(400, "model is sleeping"))
    server.script(ol.PATH, ol.ndjson([ol.line(ol.chunk("Partial ")), Drop()]))
    server.script(ol.PATH, ol.stream(["ok"]))
    chat(server, tmp_path, data, "one")
    assert chat(server, tmp_path, data, "-c", "two").status == 1
    assert chat(server, tmp_path, data, "-c", "three", "--retries", "0").status == 1
    assert chat(server, tmp_path, data, "-c", "four").status == 0
    one, two, three, _ = exchanges(data)
    assert one["status"] == "complete"
    for failed in (two, three):
        assert failed["status"] == "failed" and failed["answer"] == ""
        assert failed["messages"] == [] and failed["error"]
    assert "model is sleeping" in two["error"] and "incomplete" in three["error"]
    sent = server.received(ol.PATH)[3].json()["messages"]
    assert [m["content"] for m in sent] == ["one", "Good.", "four"]


def test_an_interrupted_answer_is_marked_and_not_sent_back_as_complete(server, tmp_path, data):
    pieces = [f"{i:03d} " for i in range(300)]
    server.script(ol.PATH, ol.stream(pieces, pause=0.03), ol.stream(["ok"]))
    process = subprocess.Popen(
        [*STREAMCLI, "chat", "count", "-m", "m", "-p", "ollama", "--base-url", server.url],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=chat_env(tmp_path, XDG_DATA_HOME=str(data)),
    )  # fmt: skip
    assert process.stdout is not None
    shown = b""
    while len(shown) < 200:
        shown += os.read(process.stdout.fileno(), 4096)
    process.send_signal(signal.SIGINT)
    rest, _ = process.communicate(timeout=30)
    assert process.returncode == 130
    (exchange,) = exchanges(data)
    assert exchange["status"] == "interrupted" and exchange["end_reason"] == "interrupted"
    assert exchange["answer"] and (shown + rest).decode().startswith(exchange["answer"])
    assert len(exchange["answer"]) < len("".join(pieces))
    chat(server, tmp_path, data, "-c", "go on")
    sent = server.received(ol.PATH)[1].json()["messages"]
    assert sent[1]["role"] == "assistant"
    assert sent[1]["content"] == f"{exchange['answer']}\n\n{INTERRUPTED_NOTE}"


def test_no_history_stores_nothing(server, tmp_path, data):
    server.script(ol.PATH, ol.stream(["a"]))
    assert chat(server, tmp_path, data, "hi", "--no-history").status == 0
    assert not db_path(data).exists()


def test_concurrent_chats_all_land_in_the_history(server, tmp_path, data):
    for _ in range(6):
        server.script(ol.PATH, ol.stream(["x", "y"], pause=0.02))
    processes = [
        subprocess.Popen(
            [*STREAMCLI, "chat", f"q{i}", "-m", "m", "-p", "ollama", "--base-url", server.url],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=chat_env(tmp_path, XDG_DATA_HOME=str(data)),
        )
        for i in range(6)
    ]
    for process in processes:
        _, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
    stored = exchanges(data)
    assert sorted(e["prompt"] for e in stored) == [f"q{i}" for i in range(6)]
    assert {e["status"] for e in stored} == {"complete"}
    assert len({e["conversation"] for e in stored}) == 6


def test_an_unwritable_history_is_a_warning_not_a_failure(server, tmp_path):
    blocker = tmp_path / "data-file"
    blocker.write_text("not a directory")
    server.script(ol.PATH, ol.stream(["fine"]))
    result = chat(server, tmp_path, blocker, "hi")
    assert result.status == 0 and result.stdout == b"fine\n"
    assert "warning: this exchange was not saved: cannot open the history" in result.stderr
    result = chat(server, tmp_path, blocker, "-c", "hi")
    assert result.status == 1 and "cannot open the history" in result.stderr


# -- tool calls in the history ------------------------------------------------------------


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_tool_calls_are_stored_and_sent_again_in_the_protocol_shape(
    provider, server, tmp_path, data, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    if provider == "openai":
        path, env = oa.PATH, {"OPENAI_API_KEY": KEY}
        args = ["--base-url", server.url + "/v1"]
        server.script(path, oa.tool_calls([("call_9", "time", {"timezone": "UTC"})], text="Hm."))
        server.script(path, oa.stream(["Noon."]), oa.stream(["ok"]))
    else:
        path, env = an.PATH, {"ANTHROPIC_API_KEY": KEY}
        args = ["--base-url", server.url]
        server.script(path, an.tool_use([("toolu_9", "time", {"timezone": "UTC"})], text="Hm."))
        server.script(path, an.stream(["Noon."]), an.stream(["ok"]))
    base = ["-m", "m", *args]
    first = run_chat(
        "time?", *base, "--tool", "time", home=tmp_path, XDG_DATA_HOME=str(data), **env
    )
    assert first.status == 0
    (exchange,) = exchanges(data)
    assert exchange["tool_calls"] == 1 and exchange["answer"] == "Hm.\n\nNoon."
    roles = [m["role"] for m in exchange["messages"]]
    assert roles == ["assistant", "tool", "assistant"]
    again = run_chat(
        "-c", "thanks", *base, "--tool", "time", home=tmp_path, XDG_DATA_HOME=str(data), **env
    )
    assert again.status == 0
    sent = server.received(path)[2].json()
    text = orjson.dumps(sent["messages"]).decode()
    if provider == "openai":
        assert [m["role"] for m in sent["messages"]] == [
            "user",
            "assistant",
            "tool",
            "assistant",
            "user",
        ]
        assert sent["messages"][2]["tool_call_id"] == "call_9"
    else:
        assert [m["role"] for m in sent["messages"]] == [
            "user",
            "assistant",
            "user",
            "assistant",
            "user",
        ]
        assert '"type":"tool_use","id":"toolu_9"' in text
        assert '"type":"tool_result","tool_use_id":"toolu_9"' in text
    # continued without --tool: the calls are told as text (APIs refuse them without tools)
    run_chat("-c", "bye", *base, home=tmp_path, XDG_DATA_HOME=str(data), **env)
    plain = server.received(path)[3].json()
    assert "tools" not in plain
    assert "[called the tool time with" in orjson.dumps(plain["messages"]).decode()


# -- the history command ------------------------------------------------------------------


def history_command(data: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*STREAMCLI, "history", *args],
        capture_output=True,
        timeout=60,
        env={**os.environ, "XDG_DATA_HOME": str(data)},
    )


def test_history_lists_shows_exports_and_deletes(server, tmp_path, data):
    server.script(
        ol.PATH, ol.stream(["A1"]), ol.stream(["A2 \x1b]52;c;aGk=\x07"]), ol.stream(["B"])
    )
    chat(server, tmp_path, data, "first question")
    chat(server, tmp_path, data, "-c", "follow-up")
    chat(server, tmp_path, data, "other\nline")
    listing = history_command(data)
    assert listing.returncode == 0
    rows = listing.stdout.decode().splitlines()
    assert rows[0].split() == ["ID", "LAST", "USED", "MODEL", "TURNS", "FIRST", "PROMPT"]
    assert rows[1].endswith("other line") and rows[2].endswith("first question")
    assert rows[2].split()[4] == "2"  # two exchanges
    first_id = rows[2].split()[0]
    shown = history_command(data, first_id).stdout.decode()
    assert "> first question" in shown and "> follow-up" in shown and "A1" in shown
    assert "\x1b" not in shown and "\\x1b]52" in shown  # the stored answer, made harmless
    exported = [orjson.loads(line) for line in history_command(data, "--json").stdout.splitlines()]
    assert len(exported) == 2
    assert [e["prompt"] for e in exported[1]["exchanges"]] == ["first question", "follow-up"]
    assert exported[1]["exchanges"][1]["answer"] == "A2 \x1b]52;c;aGk=\x07"  # raw in JSON
    one = orjson.loads(history_command(data, first_id, "--json").stdout)
    assert one == exported[1]
    deleted = history_command(data, first_id, "--delete")
    assert deleted.returncode == 0
    assert len(history_command(data, "--json").stdout.splitlines()) == 1
    missing = history_command(data, first_id)
    assert missing.returncode == 2 and b"no conversation" in missing.stderr


def test_history_without_a_database_creates_none(tmp_path):
    data = tmp_path / "empty"
    result = history_command(data)
    assert result.returncode == 0 and b"no conversations yet" in result.stderr
    assert history_command(data, "--json").stdout == b""
    assert history_command(data, "3").returncode == 2
    assert not data.exists()


def test_history_into_a_closed_pipe_is_quiet(server, tmp_path, data):
    history = History.open(db_path(data))
    for i in range(300):
        _, exchange = history.begin(None, prompt=f"p{i}", system=None, provider="p", model="m")
        history.finish(exchange, status="complete", answer="a", messages=[])
    history.close()
    done = subprocess.run(
        ["sh", "-c", f"{' '.join(STREAMCLI)} history --limit 0 | head -n 1"],
        capture_output=True,
        timeout=60,
        env={**os.environ, "XDG_DATA_HOME": str(data)},
    )
    assert done.stdout.startswith(b" ID") or done.stdout.startswith(b"ID")
    assert b"Traceback" not in done.stderr and done.stderr == b""


def test_history_in_a_slow_moment_does_not_block_chat(server, tmp_path, data):
    """A long write transaction of another process delays a chat's history, not its answer."""
    server.script(ol.PATH, ol.stream(["quick"]))
    History.open(db_path(data)).close()
    locker = sqlite3.connect(db_path(data), isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")
    try:
        process = subprocess.Popen(
            [*STREAMCLI, "chat", "hi", "-m", "m", "-p", "ollama", "--base-url", server.url],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=chat_env(tmp_path, XDG_DATA_HOME=str(data)),
        )  # fmt: skip
        assert process.stdout is not None
        # The answer shows while the lock is held (well before the writes give up waiting).
        ready, _, _ = select.select([process.stdout], [], [], BUSY_TIMEOUT - 5)
        # (the closing newline of text into a pipe may or may not come in the same read)
        assert ready and os.read(process.stdout.fileno(), 100).rstrip(b"\n") == b"quick"
    finally:
        locker.execute("COMMIT")
        locker.close()
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert exchanges(data)[0]["status"] == "complete"


def test_history_numbers_a_conversations_exchanges_and_names_models_short(server, tmp_path, data):
    server.script(ol.PATH, ol.stream(["A"]), ol.stream(["B"]), ol.stream(["C"]))
    chat(server, tmp_path, data, "other conversation")
    model = "/home/me/.cache/llama.cpp/gemma-3-270m-q4_k_m.gguf"  # a llama.cpp server's id
    for prompt in ("first", "second"):
        more = ("-c",) if prompt == "second" else ()
        run_chat(
            *more, prompt, "-m", model, "-p", "ollama", "--base-url", server.url,
            home=tmp_path, XDG_DATA_HOME=str(data),
        )  # fmt: skip
    rows = history_command(data).stdout.decode().splitlines()
    assert rows[1].split()[3] == "gemma-3-270m-q4_k_m"  # not the path, not cut at 24
    shown = history_command(data, rows[1].split()[0]).stdout.decode()
    headers = [line for line in shown.splitlines() if line.startswith("── #")]
    assert [h.split(" · ")[0] for h in headers] == ["── #1", "── #2"]  # not #2, #3
    assert all("ollama gemma-3-270m-q4_k_m · " in h for h in headers)


def test_forgetting_the_only_exchange_leaves_no_empty_conversation(tmp_path):
    history = History.open(tmp_path / "history.db")
    try:
        _, only = history.begin(None, prompt="q", system=None, provider=None, model=None)
        two, _ = history.begin(None, prompt="a", system=None, provider=None, model=None)
        two, second = history.begin(two, prompt="b", system=None, provider=None, model=None)
        history.forget(only)
        history.forget(second)
        assert [s.id for s in history.summaries(None)] == [two]  # one is gone whole
        assert history.conversation(two)["exchanges"][0]["prompt"] == "a"
    finally:
        history.close()
