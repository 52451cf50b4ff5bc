"""`streamcli chat` against real fake servers speaking each protocol: text, events, requests."""

from __future__ import annotations

from pathlib import Path

import pytest
from chat_support import run_chat, run_chat_process
from servers import FakeServer, Pause, Reply, split_bytes
from servers import anthropic as an
from servers import ollama as ol
from servers import openai as oa

ANSWER = ["Hél", "lo, ", "wörld 🎉", "\n", "日本語"]
KEY = "sk-test-0123456789abcdefghijklmnop"
ANTHROPIC_KEY = "sk-ant-api03-0123456789abcdefghijk"


@pytest.fixture
def server():
    with FakeServer() as server:
        yield server


def ollama(server: FakeServer, home: Path, *args: str, **kw) -> object:
    return run_chat(*args, "--provider", "ollama", "--base-url", server.url, home=home, **kw)


def openai(server: FakeServer, home: Path, *args: str, **kw) -> object:
    return run_chat(*args, "--base-url", server.url + "/v1", home=home, OPENAI_API_KEY=KEY, **kw)


def anthropic(server: FakeServer, home: Path, *args: str, **kw) -> object:
    return run_chat(
        *args, "--base-url", server.url, home=home, ANTHROPIC_API_KEY=ANTHROPIC_KEY, **kw
    )


# -- Ollama -------------------------------------------------------------------------


def test_ollama_streams_the_exact_text_and_events(server, tmp_path):
    server.script(ol.PATH, ol.stream(ANSWER, thinking=["let me", " think"]))
    result = run_chat_process(  # as its own process, once per provider
        "hi", "-m", "llama3", "--json", "-p", "ollama", "--base-url", server.url, home=tmp_path
    )
    assert result.status == 0, result.stderr
    kinds = [e["type"] for e in result.events]
    assert kinds[0] == "start" and kinds[-1] == "end"
    assert result.events[0]["provider"] == "ollama" and result.events[0]["model"] == "llama3"
    assert result.text == "".join(ANSWER)
    assert "".join(e["text"] for e in result.of("reasoning")) == "let me think"
    end = result.events[-1]
    assert end["reason"] == "stop"
    assert end["usage"] == {"input_tokens": 12, "output_tokens": 7}
    assert end["ttft_ms"] >= 0


def test_ollama_request_has_model_messages_system_stdin_and_options(server, tmp_path):
    server.script(ol.PATH, ol.stream(["ok"]))
    result = ollama(
        server,
        tmp_path,
        "what",
        "went wrong?",
        "-m",
        "qwen3",
        "-s",
        "Be brief.",
        "--temperature",
        "0.2",
        "--max-tokens",
        "50",
        input=b"ERROR disk full\n",
    )
    assert result.status == 0 and result.stdout == b"ok\n"
    (request,) = server.received(ol.PATH)
    assert request.json() == {
        "model": "qwen3",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "ERROR disk full\n\nwhat went wrong?"},
        ],
        "stream": True,
        "options": {"temperature": 0.2, "num_predict": 50},
    }


def test_ollama_without_a_model_uses_the_only_one(server, tmp_path):
    server.route(ol.TAGS, ol.tags(["gemma3:1b"]))
    server.script(ol.PATH, ol.stream(["fine"]))
    result = ollama(server, tmp_path, "hi")
    assert result.status == 0 and result.stdout == b"fine\n"
    assert server.received(ol.PATH)[0].json()["model"] == "gemma3:1b"


def test_ollama_without_a_model_names_the_models_to_choose_from(server, tmp_path):
    server.route(ol.TAGS, ol.tags(["llama3:latest", "qwen3:8b"]))
    result = ollama(server, tmp_path, "hi", "--json")
    assert result.status == 2
    assert "llama3:latest, qwen3:8b" in result.error["message"]
    assert "--model" in result.error["message"]
    assert not server.received(ol.PATH)


def test_ollama_final_object_content_is_kept_and_missing_stats_are_unknown(server, tmp_path):
    body = [ol.line(ol.chunk("a")), ol.line(ol.final("b", prompt_eval_count=None, eval_count=None))]
    server.script(ol.PATH, ol.ndjson(body))
    result = ollama(server, tmp_path, "hi", "-m", "m", "--json")
    assert result.text == "ab"
    assert "usage" not in result.events[-1]


def test_ollama_length_stop(server, tmp_path):
    server.script(ol.PATH, ol.stream(["cut"], done_reason="length"))
    result = ollama(server, tmp_path, "hi", "-m", "m", "--json")
    assert result.status == 0 and result.events[-1]["reason"] == "length"


def test_ollama_no_stream_asks_for_one_answer_and_gives_the_same_events(server, tmp_path):
    server.script(ol.PATH, ol.answer("whole answer"))
    result = ollama(server, tmp_path, "hi", "-m", "m", "--no-stream", "--json")
    assert result.status == 0
    assert server.received(ol.PATH)[0].json()["stream"] is False
    assert result.text == "whole answer"
    assert result.events[-1]["usage"] == {"input_tokens": 12, "output_tokens": 7}


def test_ollama_characters_split_across_writes(server, tmp_path):
    raw = b"".join(ol.stream_body(ANSWER))
    server.script(ol.PATH, ol.ndjson(split_bytes(raw, 1)))
    result = ollama(server, tmp_path, "hi", "-m", "m")
    assert result.status == 0 and result.stdout.decode() == "".join(ANSWER) + "\n"


def test_ollama_host_without_scheme_or_port(server, tmp_path):
    server.script(ol.PATH, ol.stream(["ok"]))
    result = run_chat("hi", "-m", "m", home=tmp_path, OLLAMA_HOST=f"127.0.0.1:{server.port}")
    assert result.status == 0 and result.stdout == b"ok\n"


# -- OpenAI-compatible ----------------------------------------------------------------


def test_openai_streams_text_reasoning_usage_and_sends_the_key(server, tmp_path):
    server.script(oa.PATH, oa.stream(ANSWER, reasoning=["mm", "m"]))
    result = run_chat_process(
        *("hi", "-m", "gpt-x", "-s", "sys", "--json", "--base-url", server.url + "/v1"),
        home=tmp_path,
        OPENAI_API_KEY=KEY,
    )
    assert result.status == 0, result.stderr
    assert result.text == "".join(ANSWER)
    assert "".join(e["text"] for e in result.of("reasoning")) == "mmm"
    assert result.events[-1]["usage"] == {"input_tokens": 12, "output_tokens": 7}
    (request,) = server.received(oa.PATH)
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.json() == {
        "model": "gpt-x",
        "messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }


def test_openai_reasoning_field_as_vllm_and_ollama_name_it(server, tmp_path):
    body = [
        oa.event(oa.chunk(reasoning="why", reasoning_field="reasoning")),
        oa.event(oa.chunk("so")),
        oa.event(oa.chunk(finish="stop")),
        b"data: [DONE]\n\n",
    ]
    server.script(oa.PATH, oa.sse(body))
    result = openai(server, tmp_path, "hi", "-m", "m", "--json")
    # The key masker may hold the end of a piece back until the next one ("o" could begin
    # a run of the key's characters), so the answer can come as more than one event.
    kinds = [e["type"] for e in result.events[1:-1]]
    assert kinds[0] == "reasoning" and set(kinds[1:]) == {"text"}
    assert "".join(e["text"] for e in result.of("reasoning")) == "why"
    assert result.text == "so"


def test_openai_sse_quirks(server, tmp_path):
    """CRLF, comments, `data:` without a space, null fields, BOM, unknown events, pings."""
    first = (
        '{"choices":[{"index":0,"delta":{"role":"assistant","content":null},'
        '"finish_reason":null}],"usage":null}'
    )
    body = [
        "\ufeff: OPENROUTER PROCESSING\r\n\r\n".encode(),
        f"data:{first}\r\n\r\n".encode(),
        b'data: {"choices":[{"index":0,"delta":{"content":"A"},\r\n',
        b'data: "finish_reason":null}]}\r\n\r\n',  # multi-line data joined with \n
        b"data: \n\n",  # keep-alive sent as empty data
        b"data: : ping\n\n",
        b'event: unknown\ndata: {"choices":[]}\n\n',
        b'data: {"choices":[{"index":0,"delta":{"content":"B","refusal":null}}]}\r\r',
        b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n',
        b'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2}}\n\n',
        b"data: [DONE]\n\n",
    ]
    server.script(oa.PATH, oa.sse(body))
    result = openai(server, tmp_path, "hi", "-m", "m", "--json")
    assert result.status == 0, result.stderr
    assert result.text == "AB"
    assert result.events[-1]["usage"] == {"input_tokens": 3, "output_tokens": 2}


def test_openai_characters_split_across_every_write(server, tmp_path):
    raw = b"".join(oa.stream_body(ANSWER))
    server.script(oa.PATH, oa.sse(split_bytes(raw, 1)))
    result = openai(server, tmp_path, "hi", "-m", "m")
    assert result.status == 0 and result.stdout.decode() == "".join(ANSWER) + "\n"


def test_openai_done_without_a_blank_line_and_finish_without_done(server, tmp_path):
    body = [*oa.stream_body(["x"], done=False), b"data: [DONE]"]
    server.script(oa.PATH, Reply(200, body, dict(oa.SSE), framing="close"))
    assert openai(server, tmp_path, "hi", "-m", "m").status == 0
    server.script(oa.PATH, Reply(200, oa.stream_body(["y"], done=False), dict(oa.SSE), "close"))
    result = openai(server, tmp_path, "hi", "-m", "m")
    assert result.status == 0 and result.stdout == b"y\n"


def test_openai_json_answer_from_a_server_that_ignores_stream(server, tmp_path):
    server.script(oa.PATH, oa.completion("not streamed", reasoning="thought"))
    result = openai(server, tmp_path, "hi", "-m", "m", "--json")
    assert result.status == 0
    assert [e["type"] for e in result.events] == ["start", "reasoning", "text", "end"]
    assert result.text == "not streamed"


def test_openai_no_stream(server, tmp_path):
    server.script(oa.PATH, oa.completion("all at once", finish="length"))
    result = openai(server, tmp_path, "hi", "-m", "m", "--no-stream", "--json")
    body = server.received(oa.PATH)[0].json()
    assert body["stream"] is False and "stream_options" not in body
    assert result.text == "all at once" and result.events[-1]["reason"] == "length"


def test_openai_max_tokens_and_temperature(server, tmp_path):
    server.script(oa.PATH, oa.stream(["ok"]))
    openai(server, tmp_path, "hi", "-m", "m", "--max-tokens", "9", "--temperature", "0")
    body = server.received(oa.PATH)[0].json()
    assert body["max_tokens"] == 9 and body["temperature"] == 0


def test_openai_without_a_key_sends_no_authorization_to_a_local_server(server, tmp_path):
    server.script(oa.PATH, oa.stream(["ok"]))
    result = run_chat("hi", "-m", "m", home=tmp_path, OPENAI_BASE_URL=server.url + "/v1")
    assert result.status == 0
    assert "authorization" not in server.received(oa.PATH)[0].headers


def test_openai_tool_call_deltas_are_assembled(server, tmp_path):
    call = {"index": 0, "id": "call_a", "type": "function"}
    body = [
        oa.event(oa.chunk(tool_calls=[{**call, "function": {"name": "weather", "arguments": ""}}])),
        oa.event(oa.chunk(tool_calls=[{"index": 0, "function": {"arguments": '{"city":'}}])),
        oa.event(oa.chunk(tool_calls=[{"index": 0, "function": {"arguments": ' "Paris"}'}}])),
        oa.event(oa.chunk(finish="tool_calls")),
        b"data: [DONE]\n\n",
    ]
    server.script(oa.PATH, oa.sse(body))
    result = openai(server, tmp_path, "hi", "-m", "m", "--json")
    assert result.status == 0
    assert result.events[-1]["reason"] == "tool_calls"
    (notice,) = result.of("notice")
    assert 'weather with {"city":"Paris"}' in notice["message"]


# -- Anthropic --------------------------------------------------------------------


def test_anthropic_streams_text_thinking_and_usage(server, tmp_path):
    server.script(an.PATH, an.stream(ANSWER, thinking=["hm"], output_tokens=42))
    result = run_chat_process(
        *("hi", "-m", "claude-x", "-s", "sys", "--json", "--base-url", server.url),
        home=tmp_path,
        ANTHROPIC_API_KEY=ANTHROPIC_KEY,
    )
    assert result.status == 0, result.stderr
    assert result.text == "".join(ANSWER)
    assert [e["text"] for e in result.of("reasoning")] == ["hm"]
    end = result.events[-1]
    assert end["reason"] == "stop" and end["finish_reason"] == "end_turn"
    assert end["usage"] == {"input_tokens": 12, "output_tokens": 42}
    (request,) = server.received(an.PATH)
    assert request.headers["x-api-key"] == ANTHROPIC_KEY
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert request.json() == {
        "model": "claude-x",
        "max_tokens": 8192,
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
        "system": "sys",
    }


def test_anthropic_ignores_unknown_events_and_pings(server, tmp_path):
    body = an.stream_body(["a"], stop=False)
    body[2:2] = [an.event("future_event", data={"x": 1}), an.event("ping")]
    body.append(an.event("message_stop"))
    server.script(an.PATH, an.sse(body))
    result = anthropic(server, tmp_path, "hi", "-m", "m")
    assert result.status == 0 and result.stdout == b"a\n"


def test_anthropic_max_tokens_stop_and_characters_split(server, tmp_path):
    raw = b"".join(an.stream_body(ANSWER, stop_reason="max_tokens"))
    server.script(an.PATH, an.sse(split_bytes(raw, 3)))
    result = anthropic(server, tmp_path, "hi", "-m", "m", "--json")
    assert result.text == "".join(ANSWER) and result.events[-1]["reason"] == "length"


def test_anthropic_no_stream(server, tmp_path):
    server.script(an.PATH, an.message("entire"))
    result = anthropic(server, tmp_path, "hi", "-m", "m", "--no-stream")
    assert result.status == 0 and result.stdout == b"entire\n"
    assert server.received(an.PATH)[0].json()["stream"] is False


def test_anthropic_base_url_with_v1_is_accepted(server, tmp_path):
    server.script(an.PATH, an.stream(["ok"]))
    result = run_chat(
        "hi", "-m", "m", "-p", "anthropic", home=tmp_path, ANTHROPIC_BASE_URL=server.url + "/v1/"
    )
    assert result.status == 0 and result.stdout == b"ok\n"


def test_anthropic_tool_use_is_assembled_from_json_deltas(server, tmp_path):
    start = {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {}}

    def piece(json: str) -> bytes:
        delta = {"type": "input_json_delta", "partial_json": json}
        return an.event("content_block_delta", index=1, delta=delta)

    body = [
        *an.stream_body([], stop_reason="tool_use", stop=False)[:2],
        an.event("content_block_start", index=1, content_block=start),
        piece(""),
        piece('{"c": 1'),
        piece("}"),
        an.event("content_block_stop", index=1),
        an.event("message_delta", delta={"stop_reason": "tool_use"}, usage={"output_tokens": 5}),
        an.event("message_stop"),
    ]
    server.script(an.PATH, an.sse(body))
    result = anthropic(server, tmp_path, "hi", "-m", "m", "--json")
    assert result.events[-1]["reason"] == "tool_calls"
    assert 'weather with {"c":1}' in result.of("notice")[0]["message"]


# -- any provider -------------------------------------------------------------------


def test_a_slow_stream_arrives_piece_by_piece(server, tmp_path):
    server.script(ol.PATH, ol.stream(["a", "b", "c"], pause=0.15))
    result = ollama(server, tmp_path, "hi", "-m", "m", "--json")
    times = [e["t"] for e in result.of("text")]
    assert times == sorted(times) and times[-1] - times[0] >= 0.2  # not held back


def test_provider_is_guessed_from_the_environment(server, tmp_path):
    server.script(an.PATH, an.stream(["anthropic"]))
    result = run_chat(
        "hi",
        "-m",
        "m",
        home=tmp_path,
        ANTHROPIC_API_KEY=ANTHROPIC_KEY,
        ANTHROPIC_BASE_URL=server.url,
    )
    assert result.stdout == b"anthropic\n"
    server.script(oa.PATH, oa.stream(["openai"]))
    result = run_chat(
        "hi",
        "-m",
        "m",
        home=tmp_path,
        ANTHROPIC_API_KEY=ANTHROPIC_KEY,
        OPENAI_BASE_URL=server.url + "/v1",
    )
    assert result.stdout == b"openai\n"
    server.script(ol.PATH, ol.stream(["ollama"]))
    result = run_chat(
        "hi",
        "-m",
        "m",
        home=tmp_path,
        OPENAI_BASE_URL=server.url + "/v1",
        STREAMCLI_PROVIDER="ollama",
        OLLAMA_HOST=server.url,
    )
    assert result.stdout == b"ollama\n"


def test_a_pause_before_the_headers_is_waited_for(server, tmp_path):
    server.script(ol.PATH, Reply(200, ol.stream_body(["late"]), dict(ol.NDJSON), delay=0.3))
    assert ollama(server, tmp_path, "hi", "-m", "m").stdout == b"late\n"


def test_pings_between_tokens_do_not_disturb_the_text(server, tmp_path):
    body = oa.stream_body(["a", "b"])
    body[2:2] = [b": ping\n\n", Pause(0.05), b": ping\n\n"]
    server.script(oa.PATH, oa.sse(body))
    assert openai(server, tmp_path, "hi", "-m", "m").stdout == b"ab\n"
