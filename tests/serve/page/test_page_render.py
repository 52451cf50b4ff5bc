"""What the server renders for the live page (`streamcli/serve/render.py`): finished
Markdown blocks once, as safe HTML; log lines coloured as the terminal colours them; and
only for a request that asks (`?render=html`): the plain stream stays the `--json` events."""

from __future__ import annotations

import re

import httpx
import page_support
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from page_support import events_of, serving
from servers import openai as oa

from streamcli.serve.render import PageRenderer, highlight_css, markdown_html, utf16_length

upstream = page_support.upstream  # the fixture

SAMPLE = (
    "# Title 🎉\n\nA paragraph with **bold** and `code` — ünïcödé, 𝔘𝔫𝔦.\n"
    "Second line.\n\n- a\n- b 😀\n\n| x | y |\n|---|:-:|\n| 1 | 2 |\n\n"
    "```python\nprint('hi')\n```\n\n> quoted\n\nlast words"
)


def reference() -> list[tuple[str, int, int]]:
    """The blocks of SAMPLE sent whole."""
    return [(b["html"], b["length"], b["part"]) for b in render_stream([SAMPLE])]


def render_stream(chunks: list[str], tools_after: int | None = None) -> list[dict]:
    hook = PageRenderer()
    out = hook([{"type": "start", "t": 0.0, "v": 1, "source": "chat"}])
    for number, chunk in enumerate(chunks):
        out += hook([{"type": "text", "t": 0.1, "text": chunk}])
        if number == tools_after:
            out += hook([{"type": "tool_start", "t": 0.2, "id": "c", "name": "n", "arguments": {}}])
    out += hook([{"type": "end", "t": 1.0, "reason": "stop"}])
    return out


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 40), min_size=1, max_size=60))
def test_however_the_text_is_cut_the_blocks_are_the_same(sizes):
    chunks, at = [], 0
    for size in sizes:
        chunks.append(SAMPLE[at : at + size])
        at += size
    chunks.append(SAMPLE[at:])
    blocks = render_stream(chunks)
    assert [(b["html"], b["length"], b["part"]) for b in blocks] == REFERENCE
    assert sum(b["length"] for b in blocks) == utf16_length(SAMPLE)


def test_the_blocks_are_the_markdown_rendered():
    htmls = [html for html, _, _ in REFERENCE]
    assert htmls[0] == "<h1>Title 🎉</h1>\n"
    assert htmls[1].startswith("<p>A paragraph with <strong>bold</strong> and <code>code</code>")
    assert "<br />\nSecond line." in htmls[1]  # a line break stays one, as on the terminal
    assert htmls[-1] == "<p>last words</p>\n"
    assert "".join(htmls) == markdown_html(SAMPLE)


def test_a_tool_call_ends_the_text_before_it_and_numbers_the_next_part():
    blocks = render_stream(["Before the call.\n", "After it.\n"], tools_after=0)
    assert [(b["part"], b["html"]) for b in blocks] == [
        (0, "<p>Before the call.</p>\n"),
        (1, "<p>After it.</p>\n"),
    ]


REFERENCE = reference()


def test_utf16_length_counts_as_javascript_does():
    assert utf16_length("a😀é") == 4  # the emoji is a surrogate pair


@pytest.mark.parametrize(
    "markdown",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "<iframe src=https://example.com></iframe>",
        '<a href="javascript:alert(1)">x</a>',
        "<div>\n\n*still text*\n\n</div>",
    ],
)
def test_raw_html_is_text(markdown):
    rendered = markdown_html(markdown)
    assert "<script" not in rendered and "<img" not in rendered and "<iframe" not in rendered
    assert "<div" not in rendered and "<a " not in rendered
    assert "&lt;" in rendered


def test_bidirectional_and_invisible_characters_are_shown_as_the_terminal_shows_them():
    spoof = "Pay \u202eevil\u202c \x1b[31m a\u200bb 👨\u200d👩\u200d👧"
    shown = r"Pay \u202eevil\u202c \x1b[31m a\u200bb " + "👨\u200d👩\u200d👧"
    assert shown in markdown_html(spoof)
    renderer = PageRenderer()
    (rows,) = renderer([{"type": "line", "t": 0.0, "text": "ERROR " + spoof}])
    assert shown in rows["html"] and "\u202e" not in rows["html"]


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "vbscript:msgbox",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "/api/history",
        "#top",
    ],
)
def test_only_http_and_mailto_links_are_links(url):
    assert "<a " not in markdown_html(f"[click]({url})")
    assert "<a " not in markdown_html(f"<{url}>")


@pytest.mark.parametrize(
    "url", ["https://example.com/a?b=1&c=2", "http://example.com", "mailto:a@example.com"]
)
def test_links_open_apart_without_telling_where_from(url):
    rendered = markdown_html(f"[here]({url})")
    found = re.search(
        r'<a href="([^"]*)" rel="noopener noreferrer" target="_blank">here</a>', rendered
    )
    assert found and found[1] == url.replace("&", "&amp;")


def test_images_become_links_and_nothing_is_loaded():
    rendered = markdown_html("![a cat](https://example.com/cat.png) ![x](javascript:alert(1))")
    assert "<img" not in rendered
    assert '<a href="https://example.com/cat.png" rel="noopener noreferrer"' in rendered
    assert "🖼 a cat</a>" in rendered
    assert "![x](javascript:alert(1))" in rendered  # no image, no link: text


def test_no_inline_style_the_page_policy_would_block():
    rendered = markdown_html("| l | c | r |\n|:--|:-:|--:|\n| 1 | 2 | 3 |\n")
    assert "style=" not in rendered
    assert rendered.count('class="align-right"') == 2


def test_code_is_highlighted_with_classes_the_stylesheet_has():
    rendered = markdown_html("```python\ndef f():\n    return 1\n```\n")
    assert '<pre><code class="language-python"><span class="hl-k">def</span>' in rendered
    css = highlight_css()
    assert ".md pre code .hl-k {" in css and "prefers-color-scheme: dark" in css
    unknown = markdown_html("```no-such-language\n<b>x</b>\n```\n")
    assert '<code class="language-no-such-language">&lt;b&gt;x&lt;/b&gt;' in unknown


def test_log_lines_are_coloured_and_escaped():
    hook = PageRenderer()
    [rows] = hook(
        [
            {"type": "line", "t": 0.1, "text": "10:00 ERROR <b>boom</b>", "file": "a.log"},
            {
                "type": "line",
                "t": 0.2,
                "text": '{"level": "info", "msg": "up", "port": 80}',
                "file": "a.log",
            },
            {"type": "notice", "t": 0.3, "message": "file truncated", "file": "a.log"},
            {"type": "line", "t": 0.4, "text": "plain \x1b[31mred\x1b[0m", "file": "a.log"},
        ]
    )
    assert rows["type"] == "rows" and rows["count"] == 4 and rows["t"] == 0.4
    html = rows["html"]
    error = '<span class="lv lv-error">ERROR</span> &lt;b&gt;boom&lt;/b&gt;'
    assert f'<div class="row ln-error">10:00 {error}</div>' in html
    assert '<span class="lv lv-info">INFO </span>' in html and "port=" in html
    assert '<div class="row notice">a.log: file truncated</div>' in html
    assert "\x1b" not in html


def test_only_a_request_that_asks_gets_the_pages_html(upstream, tmp_path):
    upstream.script(oa.PATH, oa.stream(["# Hi\n\nthere"]), oa.stream(["# Hi\n\nthere"]))
    log = tmp_path / "a.log"
    log.write_text("INFO one\n")
    with serving("--tail", str(log), home=tmp_path, upstream=upstream.url) as served:
        client = httpx.Client(base_url=served.url, timeout=30)
        plain = events_of(client.post("/api/chat", json={"prompt": "p"}).content)
        assert {e["type"] for e in plain} == {"start", "text", "end"}
        rendered = events_of(client.post("/api/chat?render=html", json={"prompt": "p"}).content)
        assert [e["html"] for e in rendered if e["type"] == "block"] == [
            "<h1>Hi</h1>\n",
            "<p>there</p>\n",
        ]
        # besides its blocks, the same events as the plain stream (how the answer's text
        # is cut into events depends on when its bytes arrived)
        same = [e for e in rendered if e["type"] != "block"]
        assert [e["type"] for e in same if e["type"] != "text"] == ["start", "end"]
        assert "".join(e["text"] for e in same if e["type"] == "text") == "# Hi\n\nthere"
        assert "".join(e["text"] for e in plain if e["type"] == "text") == "# Hi\n\nthere"
        refused = client.post("/api/chat?render=xml", json={"prompt": "p"})
        assert refused.status_code == 400
        assert "render: html" in refused.json()["error"]["message"]
        assert len(upstream.received(oa.PATH)) == 2  # the refused request asked nobody
        with client.stream("GET", "/api/tail?file=a.log&render=html") as tail:
            seen = b""
            for chunk in tail.iter_bytes():
                seen += chunk
                if b"event: rows" in seen and seen.endswith(b"\n\n"):
                    break
        [rows] = [e for e in events_of(seen) if e["type"] == "rows"]
        assert rows["html"] == '<div class="row"><span class="lv lv-info">INFO</span> one</div>'
        css = client.get("/static/highlight.css")
        assert css.headers["content-type"].startswith("text/css")
        assert css.text == highlight_css()
        number = client.get("/api/history").json()["conversations"][0]["id"]
        found = client.get(f"/api/history/{number}?render=html").json()
        assert found["exchanges"][0]["html"] == "<h1>Hi</h1>\n<p>there</p>\n"
        assert "html" not in client.get(f"/api/history/{number}").json()["exchanges"][0]
