"""An HTML page with status 200 where an event stream was expected (a wrong base URL, a
proxy's login page): said for what it is, never retried."""

from __future__ import annotations

import pytest
from chat_support import run_chat
from servers import FakeServer, Reply
from servers import anthropic as an
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
