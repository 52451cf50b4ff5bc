"""Every failure of `streamcli chat`: one clear line, the text so far kept, the right retries."""

from __future__ import annotations

import contextlib
import socket
import threading

import pytest
from chat_support import assert_no_secret, run_chat, run_chat_process
from servers import Drop, FakeServer, Hang, Pause, Reply, Trickle
from servers import anthropic as an
from servers import ollama as ol
from servers import openai as oa

KEY = "sk-proj-SECRETkey0123456789abcdefXYZ"


@pytest.fixture
def server():
    with FakeServer() as server:
        yield server


def ollama(server, home, *args, **kw):
    return run_chat(
        "hi", "-m", "m", "-p", "ollama", "--base-url", server.url, *args, home=home, **kw
    )


def openai(server, home, *args, **kw):
    kw.setdefault("OPENAI_API_KEY", KEY)
    return run_chat("hi", "-m", "m", "--base-url", server.url + "/v1", *args, home=home, **kw)


def anthropic(server, home, *args, **kw):
    return run_chat(
        "hi",
        "-m",
        "m",
        "-p",
        "anthropic",
        "--base-url",
        server.url,
        *args,
        home=home,
        ANTHROPIC_API_KEY="sk-ant-SECRET0123456789abcdef",
        **kw,
    )


def one_error_line(stderr: str) -> str:
    """The single `streamcli: error:` line (and no traceback)."""
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.startswith("streamcli: error:")]
    assert len(lines) == 1, stderr
    return lines[0]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- reaching the server ------------------------------------------------------------


def test_connection_refused_is_retried_then_explained(tmp_path):
    url = f"http://127.0.0.1:{closed_port()}"
    result = run_chat_process("hi", "-m", "m", "--base-url", url, "--retries", "1", home=tmp_path)
    assert result.status == 1 and result.stdout == b""
    line = one_error_line(result.stderr)
    assert f"cannot connect to {url}/api/chat: connection refused" in line
    assert "ollama serve" in line
    assert result.stderr.count("retrying in") == 1


def test_connection_refused_with_json_gives_start_notice_error_end(tmp_path):
    url = f"http://127.0.0.1:{closed_port()}"
    result = run_chat("hi", "-m", "m", "--base-url", url, "--retries", "1", "--json", home=tmp_path)
    assert [e["type"] for e in result.events] == ["start", "notice", "error", "end"]
    assert result.error["kind"] == "connection_refused" and result.error["retryable"] is True
    assert result.events[-1]["reason"] == "error"
    assert "connection refused" in one_error_line(result.stderr)  # and one line on stderr


def test_unknown_host_is_not_retried(tmp_path):
    result = run_chat(
        "hi",
        "-m",
        "m",
        "-p",
        "openai",
        "--base-url",
        "http://no-such-host.invalid/v1",
        home=tmp_path,
    )
    assert result.status == 1
    assert "cannot resolve the host 'no-such-host.invalid'" in one_error_line(result.stderr)
    assert "retrying" not in result.stderr


def test_tls_failure_names_the_url(tmp_path):
    """https:// to a server that answers in plain HTTP."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]

        def answer_in_plain_http() -> None:
            with contextlib.suppress(OSError):
                conn, _ = listener.accept()
                with conn:
                    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                    conn.recv(1024)

        thread = threading.Thread(target=answer_in_plain_http, daemon=True)
        thread.start()
        url = f"https://127.0.0.1:{port}/v1"
        result = run_chat("hi", "-m", "m", "-p", "openai", "--base-url", url, home=tmp_path)
    assert result.status == 1
    line = one_error_line(result.stderr)
    assert f"TLS with {url}/chat/completions failed" in line and "retrying" not in result.stderr


# -- HTTP errors ----------------------------------------------------------------------


def test_401_is_not_retried_names_the_variable_and_never_shows_the_key(server, tmp_path):
    server.script(oa.PATH, oa.error(401, f"Incorrect API key provided: {KEY}."))
    record = tmp_path / "rec.jsonl"
    result = run_chat_process(
        *("hi", "-m", "m", "--base-url", server.url + "/v1", "--record", str(record)),
        home=tmp_path,
        OPENAI_API_KEY=KEY,
    )
    assert result.status == 1
    line = one_error_line(result.stderr)
    assert "rejected the API key (HTTP 401" in line and "OPENAI_API_KEY" in line
    assert "(the key ending …fXYZ)" in line  # a fingerprint, not the key
    assert len(server.received(oa.PATH)) == 1
    assert_no_secret(KEY, result.stdout, result.stderr, record.read_bytes())


def test_401_without_a_key_says_which_variable_to_set(server, tmp_path):
    server.script(oa.PATH, oa.error(401, "You didn't provide an API key."))
    result = openai(server, tmp_path, "-p", "openai", "--json", OPENAI_API_KEY="")
    assert result.error["kind"] == "auth" and result.error["status"] == 401
    assert "set OPENAI_API_KEY" in result.error["message"]


def test_403_names_the_anthropic_variable(server, tmp_path):
    server.script(an.PATH, an.error(403, "permission_error", "not allowed"))
    result = anthropic(server, tmp_path)
    line = one_error_line(result.stderr)
    assert "refused access" in line and "ANTHROPIC_API_KEY" in line
    assert len(server.received(an.PATH)) == 1


def test_official_openai_without_a_key_fails_before_any_request(tmp_path):
    result = run_chat("hi", "-m", "m", "-p", "openai", home=tmp_path)
    assert result.status == 2
    assert "set OPENAI_API_KEY" in one_error_line(result.stderr)


def test_404_model_not_found_lists_the_models_ollama_has(server, tmp_path):
    server.script(ol.PATH, ol.error(404, 'model "m" not found, try pulling it first'))
    server.route(ol.TAGS, ol.tags(["llama3.2:latest", "qwen3:8b"]))
    result = ollama(server, tmp_path, "--json")
    assert result.status == 1
    error = result.error
    assert error["kind"] == "not_found" and error["status"] == 404
    assert "model 'm' was not found" in error["message"]
    assert "available: llama3.2:latest, qwen3:8b" in error["message"]


def test_404_from_a_wrong_base_url_says_to_check_it(server, tmp_path):
    result = openai(server, tmp_path)  # nothing is scripted: every path answers 404
    assert "check the model name and the base URL" in one_error_line(result.stderr)


def test_400_shows_the_servers_message(server, tmp_path):
    server.script(oa.PATH, oa.error(400, "temperature must be at most 2"))
    result = openai(server, tmp_path, "--json")
    assert result.error["kind"] == "bad_request"
    assert "temperature must be at most 2" in result.error["message"]
    assert len(server.received(oa.PATH)) == 1


def test_429_honours_retry_after(server, tmp_path):
    server.script(oa.PATH, oa.error(429, "slow down", **{"retry-after": "1"}), oa.stream(["ok"]))
    result = openai(server, tmp_path)
    assert result.status == 0 and result.stdout == b"ok\n"
    assert "retrying in 1.0 s (attempt 2 of 3)" in result.stderr
    first, second = server.received(oa.PATH)
    assert second.at - first.at >= 0.95


def test_a_retry_after_too_long_is_not_waited_for(server, tmp_path):
    server.script(oa.PATH, oa.error(429, "quota", **{"retry-after": "3600"}))
    result = openai(server, tmp_path)
    assert result.status == 1
    assert "asks to wait 3600 s" in one_error_line(result.stderr)
    assert len(server.received(oa.PATH)) == 1


def test_5xx_then_success_with_backoff(server, tmp_path):
    server.script(ol.PATH, ol.error(500, "loading"), ol.error(503, "busy"), ol.stream(["fine"]))
    result = ollama(server, tmp_path, "--json")
    assert result.status == 0 and result.text == "fine"
    assert len(result.of("notice")) == 2
    first, second, third = server.received(ol.PATH)
    assert second.at - first.at >= 0.35  # 0.5 s less up to a quarter of jitter
    assert third.at - second.at >= 0.7


def test_5xx_until_the_retries_run_out(server, tmp_path):
    server.script(oa.PATH, *[oa.error(502, "bad gateway", **{"retry-after-ms": "10"})] * 3)
    result = openai(server, tmp_path, "--retries", "1", "--json")
    assert result.status == 1
    assert result.error["kind"] == "server_error" and result.error["status"] == 502
    assert len(server.received(oa.PATH)) == 2


def test_no_retries_and_x_should_retry_false(server, tmp_path):
    server.script(oa.PATH, oa.error(503, "down"))
    assert openai(server, tmp_path, "--retries", "0").status == 1
    server.script(oa.PATH, oa.error(503, "down", **{"x-should-retry": "false"}))
    assert openai(server, tmp_path).status == 1
    assert len(server.received(oa.PATH)) == 2


# -- failures in the middle of an answer -----------------------------------------------


def test_ollama_error_mid_stream_keeps_the_text(server, tmp_path):
    body = [*ol.stream_body(["partial ", "answer"], done=False), ol.error_line("model crashed")]
    server.script(ol.PATH, ol.ndjson(body))
    result = ollama(server, tmp_path)
    assert result.status == 1 and result.stdout == b"partial answer\n"
    assert "reported an error: model crashed" in one_error_line(result.stderr)
    assert len(server.received(ol.PATH)) == 1  # never retried after the first token


def test_openai_error_object_mid_stream(server, tmp_path):
    body = [*oa.stream_body(["so far"], finish=None, usage=None, done=False)]
    body += [oa.error_event("CUDA out of memory"), b"data: [DONE]\n\n"]
    server.script(oa.PATH, oa.sse(body))
    result = openai(server, tmp_path, "--json")
    assert result.text == "so far"
    assert [e["type"] for e in result.events][-2:] == ["error", "end"]
    assert "CUDA out of memory" in result.error["message"]


def test_llama_cpp_error_field(server, tmp_path):
    body = [*oa.stream_body(["x"], finish=None, usage=None, done=False)]
    body.append(b'error: {"code":500,"message":"context full","type":"server_error"}\n\n')
    server.script(oa.PATH, oa.sse(body))
    result = openai(server, tmp_path)
    assert result.status == 1 and "context full" in one_error_line(result.stderr)


def test_anthropic_overloaded_mid_stream(server, tmp_path):
    body = an.stream_body(["half"], stop_reason=None, stop=False)
    body.append(an.error_event("overloaded_error", "Overloaded"))
    server.script(an.PATH, an.sse(body))
    result = anthropic(server, tmp_path)
    assert result.status == 1 and result.stdout == b"half\n"
    assert "Overloaded (overloaded_error)" in one_error_line(result.stderr)
    assert len(server.received(an.PATH)) == 1


def test_anthropic_overloaded_before_any_text_is_retried(server, tmp_path):
    first = an.sse([an.event("message_start", message={}), an.error_event("overloaded_error", "x")])
    server.script(an.PATH, first, an.stream(["second try"]))
    result = anthropic(server, tmp_path)
    assert result.status == 0 and result.stdout == b"second try\n"
    assert len(server.received(an.PATH)) == 2


def test_dropped_connection_mid_answer(server, tmp_path):
    body = [*oa.stream_body(["Hello"], finish=None, usage=None, done=False), Pause(0.05), Drop()]
    server.script(oa.PATH, oa.sse(body), oa.stream(["never"]))
    result = openai(server, tmp_path, "--json")
    assert result.status == 1 and result.text == "Hello"
    assert result.error["kind"] == "truncated"
    assert "dropped after 5 characters" in result.error["message"]
    assert len(server.received(oa.PATH)) == 1


def test_connection_reset_before_any_text_is_retried(server, tmp_path):
    server.script(ol.PATH, ol.ndjson([Pause(0.05), Drop(reset=True)]), ol.stream(["ok"]))
    result = ollama(server, tmp_path)
    assert result.status == 0 and result.stdout == b"ok\n"
    assert len(server.received(ol.PATH)) == 2


def test_a_stream_that_ends_without_its_final_event_is_truncated(server, tmp_path):
    for script, run in (
        (Reply(200, ol.stream_body(["a"], done=False), dict(ol.NDJSON)), ollama),
        (
            Reply(200, oa.stream_body(["a"], finish=None, usage=None, done=False), dict(oa.SSE)),
            openai,
        ),
        (Reply(200, an.stream_body(["a"], stop_reason=None, stop=False), dict(an.SSE)), anthropic),
    ):
        for framing in ("chunked", "close"):
            script.framing = framing
            server.script(_path(run), script)
            result = run(server, tmp_path, "--json")
            assert result.status == 1 and result.text == "a", (run, framing, result.stderr)
            assert result.error["kind"] == "truncated"
            assert "ended without its final event" in result.error["message"]


def _path(run) -> str:
    return {ollama: ol.PATH, openai: oa.PATH, anthropic: an.PATH}[run]


def test_malformed_json_is_named_and_the_text_before_kept(server, tmp_path):
    body = [ol.line(ol.chunk("good ")), b'{"message": {"content": "bro\n']
    server.script(ol.PATH, ol.ndjson(body))
    result = ollama(server, tmp_path, "--json")
    assert result.status == 1 and result.text == "good "
    assert result.error["kind"] == "protocol"
    assert (
        "malformed stream" in result.error["message"]
        and "not valid JSON" in result.error["message"]
    )


@pytest.mark.parametrize("part", ["name", "arguments", "id"])
def test_a_tool_call_part_that_is_not_text_is_a_protocol_error(server, tmp_path, part):
    """Not an internal error: the server's stream is malformed, and says so."""
    call = {"index": 0, "id": "c1", "function": {"name": "time", "arguments": "{}"}}
    if part == "id":
        call["id"] = 7
    else:
        call["function"][part] = 5 if part == "name" else {}
    body = [oa.event(oa.chunk("Let me see. ")), oa.event(oa.chunk(tool_calls=[call]))]
    server.script(oa.PATH, oa.sse([*body, b"data: [DONE]\n\n"]))
    result = openai(server, tmp_path, "--json")
    assert result.status == 1 and result.text == "Let me see. "
    assert result.error["kind"] == "protocol", result.error
    assert f"a tool call's {part} is" in result.error["message"]
    assert "malformed stream" in result.error["message"]


# -- stalls -----------------------------------------------------------------------------


def test_pings_without_text_are_a_stall(server, tmp_path):
    body = [*oa.stream_body(["before stall"], finish=None, usage=None, done=False)]
    body.append(Trickle(b": ping\n\n", every=0.05))
    server.script(oa.PATH, oa.sse(body))
    result = openai(server, tmp_path, "--timeout", "0.5", "--json")
    assert result.status == 1 and result.text == "before stall"
    assert result.error["kind"] == "stalled"
    assert "nothing new for 0.5 s (--timeout)" in result.error["message"]
    (received,) = server.received(oa.PATH)
    assert received.client_gone.wait(5)  # the connection was closed


def test_anthropic_ping_events_are_not_progress(server, tmp_path):
    body = an.stream_body(["x"], stop_reason=None, stop=False)
    body.append(Trickle(an.event("ping"), every=0.05))
    server.script(an.PATH, an.sse(body))
    result = anthropic(server, tmp_path, "--timeout", "0.4")
    assert result.status == 1 and result.stdout == b"x\n"
    assert "stalled" in one_error_line(result.stderr)


def test_the_first_token_has_its_own_limit(server, tmp_path):
    server.script(ol.PATH, ol.ndjson([Hang()]))
    result = ollama(server, tmp_path, "--first-token-timeout", "0.5", "--timeout", "30")
    assert result.status == 1
    assert "no answer" in one_error_line(result.stderr)
    assert "within 0.5 s (--first-token-timeout)" in result.stderr
    assert len(server.received(ol.PATH)) == 1


def test_a_server_that_never_sends_headers(server, tmp_path):
    server.script(ol.PATH, Reply(200, [], delay=30))
    result = ollama(server, tmp_path, "--first-token-timeout", "0.5", "--json")
    assert result.status == 1 and result.error["kind"] == "timeout"


def test_a_retry_while_listing_the_models_still_begins_with_start(server, tmp_path):
    server.script(ol.TAGS, ol.error(503, "starting", **{"retry-after-ms": "10"}), method="GET")
    server.route(ol.TAGS, ol.tags(["only:latest"]))
    server.script(ol.PATH, ol.stream(["ok"]))
    result = run_chat("hi", "-p", "ollama", "--base-url", server.url, "--json", home=tmp_path)
    assert result.status == 0 and result.text == "ok"
    assert [e["type"] for e in result.events][:2] == ["start", "notice"]
    assert server.received(ol.PATH)[0].json()["model"] == "only:latest"
