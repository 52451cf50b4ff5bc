"""An exchange's messages rebuilt from its events (`transcript`), and how each protocol
sends them."""

from __future__ import annotations

import orjson

from streamcli.sources.chat.protocols import anthropic, ollama, openai
from streamcli.sources.chat.request import ChatRequest, flatten_tools
from streamcli.transcript import Transcript


def _round_events():
    return [
        {"type": "start", "t": 0, "v": 1, "source": "chat"},
        {"type": "text", "t": 0, "text": "Let me "},
        {"type": "text", "t": 0, "text": "look."},
        {"type": "tool_start", "t": 0, "id": "a", "name": "time", "arguments": {}},
        {"type": "tool_start", "t": 0, "id": "b", "name": "read_file", "arguments": {"path": "x"}},
        {"type": "tool_end", "t": 0, "id": "b", "name": "read_file", "ok": False,
         "output": "no such file", "duration_ms": 1},
        {"type": "tool_end", "t": 0, "id": "a", "name": "time", "ok": True,
         "output": "noon", "duration_ms": 1},
        {"type": "text", "t": 0, "text": "It is noon."},
        {"type": "end", "t": 0, "reason": "stop"},
    ]  # fmt: skip


def test_the_transcript_rebuilds_rounds_and_the_answer():
    transcript = Transcript()
    transcript.feed(_round_events())
    messages = transcript.finish()
    assert [m["role"] for m in messages] == ["assistant", "tool", "tool", "assistant"]
    assert messages[0]["content"] == "Let me look."
    assert [c["id"] for c in messages[0]["tool_calls"]] == ["a", "b"]
    assert [m["tool_call_id"] for m in messages[1:3]] == ["a", "b"]  # in the calls' order
    assert messages[2]["ok"] is False
    assert transcript.answer == "Let me look.\n\nIt is noon."
    assert transcript.calls == 2


def test_an_unfinished_round_is_left_out():
    transcript = Transcript()
    transcript.feed(_round_events()[:6])  # b ended, a did not
    assert transcript.finish() == [{"role": "assistant", "content": "Let me look."}]
    assert transcript.calls == 0


def _request(tools=True) -> ChatRequest:
    transcript = Transcript()
    transcript.feed(_round_events())
    offered = ({"name": "time", "description": "d", "parameters": {"type": "object"}},)
    return ChatRequest.from_prompt(
        "now?", "sys", model="m", tools=offered if tools else ()
    ).followed_by(transcript.finish())


def test_openai_messages_carry_calls_as_json_text_and_results_by_id():
    body = openai.OpenAI("http://x/v1").chat_call(_request()).body
    assistant, first, second, last = body["messages"][2:]
    assert assistant["tool_calls"][1] == {
        "id": "b",
        "type": "function",
        "function": {"name": "read_file", "arguments": '{"path":"x"}'},
    }
    assert first == {"role": "tool", "tool_call_id": "a", "content": "noon"}
    assert second["content"] == "The call failed: no such file"
    assert last == {"role": "assistant", "content": "It is noon."}
    assert body["tools"][0]["type"] == "function"


def test_ollama_messages_carry_object_arguments_and_tool_names():
    body = ollama.Ollama("http://x").chat_call(_request()).body
    assistant, first = body["messages"][2:4]
    assert assistant["tool_calls"][1] == {
        "function": {"name": "read_file", "arguments": {"path": "x"}}
    }
    assert first == {"role": "tool", "content": "noon", "tool_name": "time"}


def test_anthropic_messages_carry_tool_use_and_results_in_one_user_turn():
    body = anthropic.Anthropic("http://x").chat_call(_request()).body
    assert body["system"] == "sys"
    user, assistant, results, last = body["messages"]
    assert user == {"role": "user", "content": "now?"}
    assert assistant["content"][0] == {"type": "text", "text": "Let me look."}
    assert assistant["content"][2] == {
        "type": "tool_use",
        "id": "b",
        "name": "read_file",
        "input": {"path": "x"},
    }
    assert results["role"] == "user"
    assert results["content"] == [
        {"type": "tool_result", "tool_use_id": "a", "content": "noon"},
        {"type": "tool_result", "tool_use_id": "b", "content": "no such file", "is_error": True},
    ]
    assert last == {"role": "assistant", "content": "It is noon."}
    assert body["tools"] == [
        {"name": "time", "description": "d", "input_schema": {"type": "object"}}
    ]


def test_without_tools_offered_calls_and_results_are_told_as_text():
    for provider in (openai.OpenAI("http://x/v1"), anthropic.Anthropic("http://x")):
        body = provider.chat_call(_request(tools=False)).body
        assert "tools" not in body
        text = orjson.dumps(body["messages"]).decode()
        assert "tool_calls" not in text and "tool_use" not in text
        assert "[called the tool read_file with" in text
        assert "[the tool read_file failed: no such file]" in text
    flat = flatten_tools(_request().messages)
    assert [m["role"] for m in flat] == ["system", "user", "assistant", "user", "assistant"]


def test_the_answer_is_kept_as_characters_not_an_object_per_chunk():
    """What the transcript keeps of an answer grows with its characters, not its chunks:
    200k one-character chunks (each its own string, as decoded from the network) must not
    leave 200k objects behind (#26, item 14)."""
    import gc
    import tracemalloc

    chunks = 200_000
    transcript = Transcript()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(0, chunks, 1000):  # batches as the source hands them over
            transcript.feed(
                [{"type": "text", "t": 0, "text": chr(0x4E00 + (i + j) % 64)} for j in range(1000)]
            )
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < chunks * 12, f"{kept / chunks:.0f} bytes kept per chunk"  # was ~85
    answer = transcript.answer
    assert len(answer) == chunks and answer[:2] == "\u4e00\u4e01"
