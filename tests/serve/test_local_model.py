"""`serve -p local`: the bundled model behind the OpenAI-compatible API, a tiny local
server without a daemon; a client that leaves stops the model."""

from __future__ import annotations

import time

import httpx
import openai
import pytest
from serve_support import serving
from test_disconnect import open_request, read_until

from streamcli.sources.chat.local.model import installed

pytestmark = pytest.mark.skipif(
    not installed(bundled=True), reason="the local extra (the bundled model) is not installed"
)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    import os

    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_the_bundled_model_answers_openai_clients_and_stops_when_they_leave(tmp_path):
    with serving("-p", "local", home=tmp_path) as served:
        sdk = openai.OpenAI(base_url=served.url + "v1", api_key="unused", max_retries=0)
        [model] = [m.id for m in sdk.models.list()]
        assert model == "gemma-3-270m"
        answer = sdk.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": "What is the capital of France?"}],
            max_tokens=16,
        )
        assert "Paris" in answer.choices[0].message.content
        assert answer.usage.completion_tokens > 0
        wrong = httpx.post(
            served.url + "v1/chat/completions",
            json={"model": "llama-70b", "messages": [{"role": "user", "content": "q"}]},
            timeout=30,
        )
        assert wrong.status_code == 404 and "gemma-3-270m" in wrong.json()["error"]["message"]
        long = {
            "model": model,
            "stream": True,
            "max_tokens": 4000,
            "messages": [{"role": "user", "content": "Write a very long story about a dragon."}],
        }
        client = open_request(served.url, "/v1/chat/completions", long)
        read_until(client, b'"content"')  # it generates
        client.close()
        time.sleep(0.5)  # it notices (within milliseconds), then is idle
        pid = served.process.pid
        before = cpu_seconds(pid)
        time.sleep(1.0)
        assert cpu_seconds(pid) - before < 0.5, "the model went on generating for nobody"
        again = sdk.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "Say hi."}], max_tokens=4
        )
        assert again.choices[0].finish_reason in ("stop", "length")
