"""An HTML page with status 200 where an event stream was expected (a wrong base URL, a
proxy's login page): said for what it is, never retried."""

from __future__ import annotations

import pytest
from chat_support import run_chat
from servers import FakeServer, Reply
from servers import anthropic as an
from servers import ollama as ol
from servers import openai as oa

PAGE = b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>" + b"x" * 500


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
@pytest.mark.parametrize("content_type", ["text/html; charset=utf-8", "text/event-stream", None])
def test_an_html_page_is_named_and_not_retried(tmp_path, provider, content_type):
    headers = {"content-type": content_type} if content_type else {}
    with FakeServer() as server:
        if provider == "openai":
            path, base, env = oa.PATH, server.url + "/v1", {"OPENAI_API_KEY": "sk-test-0123456789"}
        else:
            path, base, env = an.PATH, server.url, {"ANTHROPIC_API_KEY": "sk-ant-test-0123456789"}
        server.route(path, Reply(200, [PAGE], headers), method="POST")
        result = run_chat("hi", "-m", "m", "-p", provider, "--base-url", base, "--json",
                          home=tmp_path, **env)  # fmt: skip
        requests = len(server.received(path))
    assert result.status == 1
    assert "Traceback" not in result.stderr
    message = result.error["message"]
    assert "expected an event stream" in message and "<!DOCTYPE html>" in message
    assert (content_type or "no content type").split(";")[0] in message
    assert result.error["kind"] == "protocol"
    assert requests == 1  # not retried


# A 200 whose body is not the protocol's stream at all: named for what it is, exit 1, no
# retries, no answer and no finish reason invented (#26, items 10 and 11).

ERROR_OBJECT = {"error": {"type": "invalid_request_error", "message": "boom"}}
SSE = {"content-type": "text/event-stream"}
CASES = {
    "anthropic-json-error": ("anthropic", Reply.json(200, ERROR_OBJECT), "with a JSON error object: boom"),  # noqa: E501
    "anthropic-json-object": ("anthropic", Reply.json(200, {"id": "x"}), "with a JSON object, not Anthropic's"),  # noqa: E501
    "anthropic-error-as-sse": ("anthropic", Reply(200, [b'{"error": "boom"}\n'], SSE), "with a JSON error object"),  # noqa: E501
    "anthropic-given-openai": ("anthropic", oa.stream(["Hi"]), "with an OpenAI-style SSE stream, not Anthropic's"),  # noqa: E501
    "openai-given-anthropic": ("openai", an.stream(["Hi"]), "with an Anthropic-style SSE stream"),
    "openai-given-ollama": ("openai", ol.stream(["Hi"]), "with an Ollama-style NDJSON stream"),
    "openai-json-object": ("openai", Reply.json(200, {"id": "x"}), "with a JSON object, not an OpenAI"),  # noqa: E501
    "ollama-given-openai": ("ollama", oa.stream(["Hi"]), "with an OpenAI-style SSE stream, not Ollama's NDJSON"),  # noqa: E501
    "ollama-given-openai-as-ndjson": ("ollama", ol.ndjson(oa.stream_body(["Hi"])), "with an OpenAI-style SSE stream, not Ollama's NDJSON"),  # noqa: E501
    "ollama-json-error-line": ("ollama", Reply(200, [b'{"error": "boom"}'], SSE), "with a JSON error object"),  # noqa: E501
    "ollama-other-lines": ("ollama", ol.ndjson([b'{"a": 1}\n{"b": 2}\n']), "with JSON lines that are not Ollama's"),  # noqa: E501
    "html-after-bom": ("openai", Reply(200, [b"\xef\xbb\xbf" + PAGE], SSE), "<!DOCTYPE html>"),
    "html-after-split-bom": ("anthropic", Reply(200, [b"\xef\xbb", b"\xbf\r\n", PAGE], SSE), "<!DOCTYPE html>"),  # noqa: E501
    "html-after-blank-lines": ("openai", Reply(200, [b"\r\n\r\n", b"\n  ", PAGE], SSE), "<!DOCTYPE html>"),  # noqa: E501
    "html-as-ndjson-after-bom": ("ollama", ol.ndjson([b"\xef\xbb\xbf\n" + PAGE]), "<!DOCTYPE html>"),  # noqa: E501
}  # fmt: skip


def _ask(tmp_path, provider: str, reply: Reply):
    with FakeServer() as server:
        path = {"openai": oa.PATH, "anthropic": an.PATH, "ollama": ol.PATH}[provider]
        base = server.url + ("/v1" if provider == "openai" else "")
        server.route(path, reply, method="POST")
        result = run_chat("hi", "-m", "m", "-p", provider, "--base-url", base, "--json",
                          home=tmp_path, OPENAI_API_KEY="sk-test-0123456789")  # fmt: skip
        return result, len(server.received(path))


@pytest.mark.parametrize("case", list(CASES))
def test_a_body_that_is_not_the_stream_is_named(tmp_path, case):
    provider, reply, named = CASES[case]
    result, requests = _ask(tmp_path, provider, reply)
    assert result.status == 1, result.stdout
    assert named in result.error["message"], result.error["message"]
    assert "answered HTTP 200" in result.error["message"] or "reported" in result.error["message"]
    assert "truncated" not in result.error["message"]
    assert result.of("text") == []
    assert result.of("end") == [{**result.of("end")[0], "reason": "error"}]
    assert "finish_reason" not in result.of("end")[0]
    assert requests == 1  # not retried: the same address answers the same way
    assert "Traceback" not in result.stderr


def test_no_finish_reason_is_invented(tmp_path):
    """An answer without a stop reason is taken, but none is made up for it."""
    reply = Reply.json(200, {"type": "message", "content": [{"type": "text", "text": "Hi"}]})
    result, _ = _ask(tmp_path, "anthropic", reply)
    assert result.status == 0 and result.text == "Hi"
    (end,) = result.of("end")
    assert end["reason"] == "stop" and "finish_reason" not in end
