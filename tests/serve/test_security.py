"""`serve` is safe by default: loopback unless a key is set; the key asked of every API
request (the page by its one-time token); Host and Origin checked; CORS only when asked;
keys never in a response or the log."""

from __future__ import annotations

import os
import subprocess

import httpx
import openai
import pytest
from chat_support import chat_env
from conftest import STREAMCLI
from serve_support import KEY, serving
from servers import FakeServer
from servers import openai as oa

SERVE_KEY = "serve-key-0123456789abcdef"


@pytest.fixture
def upstream():
    with FakeServer() as server:
        server.route("/v1/models", oa.models(["m"]))
        yield server


def test_beyond_loopback_without_a_key_is_refused_in_one_line(tmp_path):
    done = subprocess.run(
        [*STREAMCLI, "serve", "--host", "0.0.0.0", "--port", "0", "-p", "ollama"],
        capture_output=True,
        timeout=30,
        env=chat_env(tmp_path),
    )
    assert done.returncode == 2
    lines = done.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("streamcli: error: --host 0.0.0.0")
    assert "STREAMCLI_SERVE_KEY" in lines[0]


def test_a_key_file_others_can_read_is_refused(tmp_path):
    key = tmp_path / "key"
    key.write_text(SERVE_KEY)
    os.chmod(key, 0o644)
    done = subprocess.run(
        [*STREAMCLI, "serve", "--port", "0", "-p", "ollama", "--api-key-file", str(key)],
        capture_output=True,
        timeout=30,
        env=chat_env(tmp_path),
    )
    assert done.returncode == 2 and "chmod 600" in done.stderr.decode()


def test_with_a_key_every_api_request_shows_it_and_the_page_comes_by_its_token(upstream, tmp_path):
    upstream.script(oa.PATH, oa.stream(["fine"]))
    with serving(home=tmp_path, upstream=upstream.url, STREAMCLI_SERVE_KEY=SERVE_KEY) as served:
        url = served.url
        assert served.token and SERVE_KEY not in served.line
        for path in ("v1/models", "api/info", "api/history"):
            missing = httpx.get(url + path)
            assert missing.status_code == 401 and missing.json()["error"]["code"] == "no_key"
            wrong = httpx.get(url + path, headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "wrong_key"
        sdk = openai.OpenAI(base_url=url + "v1", api_key=SERVE_KEY, max_retries=0)
        assert [m.id for m in sdk.models.list()] == ["m"]
        answer = sdk.chat.completions.create(model="m", messages=[{"role": "user", "content": "q"}])
        assert answer.choices[0].message.content == "fine"
        assert httpx.get(url).status_code == 401
        assert httpx.get(url + "?token=guess").status_code == 401
        page = httpx.Client(base_url=url, timeout=10, follow_redirects=True)
        opened = page.get(f"/?token={served.token}")
        assert opened.status_code == 200 and opened.history[0].status_code == 303
        assert page.get("/api/info").status_code == 200  # the page's cookie
        log = served.log
    for secret in (SERVE_KEY, KEY, served.token):
        assert secret not in log


def test_another_host_name_is_refused_dns_rebinding(upstream, tmp_path):
    with serving(home=tmp_path, upstream=upstream.url) as served:
        port = served.url.rsplit(":", 1)[1].strip("/")
        for host in (f"evil.example:{port}", "attacker.test", f"127.0.0.1.nip.io:{port}"):
            refused = httpx.get(served.url + "api/info", headers={"Host": host})
            assert refused.status_code == 403 and refused.json()["error"]["code"] == "bad_host"
        for host in (f"localhost:{port}", f"127.0.0.1:{port}"):
            assert httpx.get(served.url + "api/info", headers={"Host": host}).status_code == 200


def test_cross_site_origins_are_refused_and_cors_only_when_asked(upstream, tmp_path):
    with serving(home=tmp_path, upstream=upstream.url) as served:
        own = served.url.rstrip("/")
        assert httpx.get(served.url + "api/info", headers={"Origin": own}).status_code == 200
        evil = httpx.get(served.url + "api/info", headers={"Origin": "http://evil.example"})
        assert evil.status_code == 403 and evil.json()["error"]["code"] == "cross_site"
        plain = httpx.get(served.url + "api/info")
        assert "access-control-allow-origin" not in plain.headers
    allowed = "http://localhost:3000"
    with serving("--cors-origin", allowed, home=tmp_path, upstream=upstream.url) as served:
        asked = httpx.get(served.url + "api/info", headers={"Origin": allowed})
        assert asked.headers["access-control-allow-origin"] == allowed
        preflight = httpx.options(
            served.url + "v1/chat/completions",
            headers={"Origin": allowed, "Access-Control-Request-Method": "POST"},
        )
        assert preflight.status_code == 204
        assert "authorization" in preflight.headers["access-control-allow-headers"]
        other = httpx.get(served.url + "api/info", headers={"Origin": "http://evil.example"})
        assert other.status_code == 403


def test_an_upstream_key_echoed_back_never_reaches_a_client(tmp_path):
    with FakeServer() as upstream:
        upstream.route(oa.PATH, oa.error(401, f"Incorrect API key provided: {KEY}"), "POST")
        with serving(home=tmp_path, upstream=upstream.url) as served:
            answer = httpx.post(
                served.url + "v1/chat/completions",
                json={"model": "m", "messages": [{"role": "user", "content": "q"}]},
                timeout=30,
            )
            events = httpx.post(served.url + "api/chat", json={"prompt": "q"}, timeout=30)
            log = served.log
    assert answer.status_code == 502 and "refused the API key this server uses" in answer.text
    assert "refused the API key this server uses (HTTP 401)" in events.text
    for blob in (answer.text, events.text, log):
        assert KEY not in blob and KEY[:16] not in blob
    for blob in (answer.text, events.text):  # nor its end, the client's hint
        assert KEY[-4:] not in blob


def test_the_page_forbids_inline_script_and_other_origins(upstream, tmp_path):
    with serving(home=tmp_path, upstream=upstream.url) as served:
        page = httpx.get(served.url)
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert (
        "HttpOnly" in page.headers["set-cookie"] and "SameSite=Strict" in page.headers["set-cookie"]
    )
