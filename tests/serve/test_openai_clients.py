"""`streamcli serve` as OpenAI clients use it: the official SDK, raw httpx, and
`streamcli bench --url` — in front of a real (fake) upstream over real sockets."""

from __future__ import annotations

import httpx
import openai
import orjson
import pytest
from conftest import run_cli
from serve_support import KEY, serving
from servers import FakeServer
from servers import openai as oa
from servers.http import Drop

from streamcli.serve.api import CODES


@pytest.fixture
def upstream():
    with FakeServer() as server:
        server.route("/v1/models", oa.models(["m", "big"]))
        yield server


def client(served) -> openai.OpenAI:
    return openai.OpenAI(base_url=served.url + "v1", api_key="unused", max_retries=0)


def test_the_sdk_lists_models_and_gets_an_answer_whole_and_streamed(upstream, tmp_path):
    upstream.script(
        oa.PATH,
        oa.stream(["The answer", " is 42."], usage=(11, 5)),
        oa.stream(["Stream", "ed."], usage=(11, 3)),
    )
    with serving(home=tmp_path, upstream=upstream.url) as served:
        sdk = client(served)
        assert [m.id for m in sdk.models.list()] == ["big", "m"]
        whole = sdk.chat.completions.create(
            model="m",
            messages=[
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "earlier"},
                {"role": "assistant", "content": "before"},
                {"role": "user", "content": "what is it?"},
            ],
        )
        assert whole.choices[0].message.content == "The answer is 42."
        assert whole.choices[0].finish_reason == "stop"
        assert (whole.usage.prompt_tokens, whole.usage.completion_tokens) == (11, 5)
        chunks = list(
            sdk.chat.completions.create(
                model="m",
                messages=[{"role": "user", "content": "go"}],
                stream=True,
                stream_options={"include_usage": True},
            )
        )
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert text == "Streamed."
        finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
        assert finishes[-1] == "stop" and set(finishes[:-1]) == {None}
        assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 3
    sent = upstream.received(oa.PATH)[0].json()
    assert sent["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "earlier"},
        {"role": "assistant", "content": "before"},
        {"role": "user", "content": "what is it?"},
    ]
    assert sent["model"] == "m"


def test_reasoning_is_reasoning_content_and_done_ends_the_raw_stream(upstream, tmp_path):
    upstream.script(oa.PATH, oa.stream(["Yes."], reasoning=["thinking", " hard"]))
    with serving(home=tmp_path, upstream=upstream.url) as served:
        body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "q"}]}
        response = httpx.post(served.url + "v1/chat/completions", json=body, timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    lines = [line for line in response.text.splitlines() if line]
    assert lines[-1] == "data: [DONE]"
    deltas = [orjson.loads(line[6:])["choices"][0]["delta"] for line in lines[:-1]]
    assert "".join(d.get("reasoning_content", "") for d in deltas) == "thinking hard"
    assert "".join(d.get("content", "") for d in deltas) == "Yes."
    assert deltas[0]["role"] == "assistant"


@pytest.mark.parametrize(
    ("reply", "status", "kind"),
    [
        (oa.error(500, "model crashed"), 502, "upstream_error"),
        (oa.error(429, "slow down"), 429, "rate_limit_error"),
        (oa.error(404, "no such model"), 404, "invalid_request_error"),
        (oa.error(400, "bad prompt"), 502, "upstream_error"),
    ],
)
def test_an_upstream_failure_is_an_openai_error_never_a_200(
    upstream, tmp_path, reply, status, kind
):
    upstream.route(oa.PATH, reply, method="POST")
    with serving("--retries", "0", home=tmp_path, upstream=upstream.url) as served:
        sdk = client(served)
        for stream in (False, True):
            with pytest.raises(openai.APIStatusError) as raised:
                answer = sdk.chat.completions.create(
                    model="m", messages=[{"role": "user", "content": "q"}], stream=stream
                )
                if stream:
                    list(answer)
            assert raised.value.status_code == status
            error = raised.value.body
            assert isinstance(error, dict) and error["type"] == kind and error["message"]
        log = served.log
    assert KEY not in log


def test_a_failure_mid_answer_ends_the_stream_with_the_error(upstream, tmp_path):
    """After the answer started, an upstream that drops is an `error` object, the last
    thing in the stream (no `stop`, no `[DONE]`); the SDK raises it."""
    cut = oa.sse([*oa.stream_body(["Half"], finish=None, usage=None, done=False), Drop()])
    upstream.script(oa.PATH, cut, cut)
    with serving("--retries", "0", home=tmp_path, upstream=upstream.url) as served:
        body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "q"}]}
        response = httpx.post(served.url + "v1/chat/completions", json=body, timeout=30)
        with pytest.raises(openai.APIError, match="dropped"):
            list(client(served).chat.completions.create(**body))
    said = [line[6:] for line in response.text.splitlines() if line.startswith("data: ")]
    assert "[DONE]" not in said
    last = orjson.loads(said[-1])
    assert last["error"]["type"] == "upstream_error" and "dropped" in last["error"]["message"]
    assert {orjson.loads(c)["choices"][0]["finish_reason"] for c in said[:-1]} == {None}


def test_an_unreachable_upstream_is_a_502_naming_it(tmp_path):
    nowhere = ("-p", "openai", "--base-url", "http://127.0.0.1:9/v1", "-m", "m", "--retries", "0")
    with serving(*nowhere, home=tmp_path) as served:
        response = httpx.post(
            served.url + "v1/chat/completions",
            json={"model": "m", "messages": [{"role": "user", "content": "q"}]},
            timeout=60,
        )
    assert response.status_code == 502
    assert "127.0.0.1:9" in response.json()["error"]["message"]


# What `chat`'s flags refuse is refused here too, and what cannot be honoured (n > 1).
ODD_PARAMETERS = [
    {"temperature": -1},
    {"temperature": 101},
    {"max_tokens": 0},
    {"max_completion_tokens": -5},
    {"seed": -1},
    {"n": 3},
    {"stream": "false"},
    {"stream": 0},
    {"temperature": True},
]


def test_bad_requests_are_400_in_openai_shape(upstream, tmp_path):
    with serving(home=tmp_path, upstream=upstream.url) as served:
        url = served.url + "v1/chat/completions"
        asks = [{"role": "user", "content": "q"}]
        wrong = [
            {},
            {"messages": []},
            {"messages": [{"role": "assistant", "content": "x"}]},
            {"messages": [{"role": "user", "content": None}]},
            *({"messages": asks, **odd} for odd in ODD_PARAMETERS),
        ]
        for body in wrong:
            response = httpx.post(url, json=body, timeout=10)
            assert response.status_code == 400, body
            assert response.json()["error"]["type"] == "invalid_request_error"
        response = httpx.post(url, content=b"{not json", timeout=10)
        assert response.status_code == 400
        too_big = httpx.post(url, content=b" " * (17 * 1024 * 1024), timeout=30)
        assert too_big.status_code == 413 and too_big.json()["error"]["code"] == "too_large"
        # Starlette's own answers are in the same shape.
        for path, status in (("v1/nothing", 404), ("v1/chat/completions", 405)):
            answered = httpx.get(served.url + path, timeout=10)
            assert answered.status_code == status, path
            assert answered.json()["error"]["code"] == CODES[status]


def test_streamcli_bench_measures_the_server(upstream, tmp_path):
    upstream.route(oa.PATH, oa.stream(["a", "b", "c", "d"]), method="POST")
    with serving(home=tmp_path, upstream=upstream.url) as served:
        done = run_cli(
            "bench",
            "--url",
            served.url + "v1",
            "-p",
            "openai",
            "-m",
            "m",
            "--requests",
            "6",
            "--concurrency",
            "3",
            "--json",
            timeout=120,
        )
    assert done.returncode == 0, done.stderr.decode()
    [summary] = [e for e in map(orjson.loads, done.stdout.splitlines()) if "completed" in e]
    assert summary["completed"] == 6, summary.get("first_error")
