"""The page's own script, run in Chromium on its modules: server-sent events parsed from a
fetch body however its bytes are cut (CR, LF and CRLF line ends, comments, several data
lines, a character split across reads), and the live block drawn from untrusted text."""

from __future__ import annotations

import page_support
from page_support import serving

browser = page_support.browser  # the fixtures: one Chromium for all
upstream = page_support.upstream

EVENTS = [
    {"type": "start", "t": 0.0, "v": 1, "source": "chat"},
    {"type": "text", "t": 0.1, "text": "héllo 😀 wörld\n"},
    {"type": "end", "t": 0.2, "reason": "stop"},
]

# The same events as a server may frame them: LF, CRLF and CR line ends, comments, the
# JSON over two data lines, an event name, an id.
BODY = (
    ": ping\n\n"
    'id: 1\nevent: start\ndata: {"type":"start","t":0.0,"v":1,"source":"chat"}\n\n'
    'event: text\r\ndata: {"type":"text","t":0.1,\r\ndata: "text":"héllo 😀 wörld\\n"}\r\n\r\n'
    ": ping\r\r"
    'data: {"type":"end","t":0.2,"reason":"stop"}\r\r'
).encode()

PARSE = """async ({ body, cuts }) => {
  const { serverEvents } = await import("/static/js/sse.js");
  const bytes = new Uint8Array(body);
  const results = [];
  for (const cut of cuts) {
    const pieces = [];
    let at = 0;
    for (const end of [...cut, bytes.length]) {
      pieces.push(bytes.slice(at, end));
      at = end;
    }
    const stream = new ReadableStream({
      start(controller) {
        for (const piece of pieces) controller.enqueue(piece);
        controller.close();
      },
    });
    const got = [];
    for await (const item of serverEvents(new Response(stream))) got.push(item.data);
    results.push(got);
  }
  return results;
}"""


def test_events_are_parsed_however_the_bytes_are_cut(upstream, tmp_path, browser):
    cuts = [[]] + [[at] for at in range(1, len(BODY))] + [list(range(1, len(BODY)))]
    with serving(home=tmp_path, upstream=upstream.url) as served, browser.page(served) as seen:
        seen.page.goto(served.url)
        results = seen.page.evaluate(PARSE, {"body": list(BODY), "cuts": cuts})
        assert seen.problems() == []
    for cut, got in zip(cuts, results, strict=True):
        assert got == EVENTS, f"cut at {cut[:3]}"


DRAW = """async (source) => {
  const { liveNodes } = await import("/static/js/live_markdown.js");
  const box = document.createElement("div");
  box.replaceChildren(...liveNodes(source));
  return {
    text: box.textContent,
    tags: [...box.querySelectorAll("*")].map((e) => e.tagName.toLowerCase()),
    attributes: [...box.querySelectorAll("*")].flatMap((e) => e.getAttributeNames()),
  };
}"""


def test_the_live_block_is_drawn_as_text(upstream, tmp_path, browser):
    hostile = (
        "# Head <img src=x onerror=alert(1)>\n\n"
        "Some **bold** `<b>code</b>` and <script>alert(2)</script> "
        "[x](javascript:alert(3))\n\n"
        "- item <iframe src=//e.com>\n\n"
        "| a | <svg onload=alert(4)> |\n|---|---|\n| 1 | 2 |\n\n"
        "```html\n<script>alert(5)</script>\n"
    )
    with serving(home=tmp_path, upstream=upstream.url) as served, browser.page(served) as seen:
        seen.page.goto(served.url)
        drawn = seen.page.evaluate(DRAW, hostile)
        assert seen.problems() == []
    assert set(drawn["tags"]) <= {
        "h1", "p", "strong", "code", "ul", "li", "table", "thead", "tbody", "tr", "th", "td",
        "pre",
    }  # fmt: skip
    assert drawn["attributes"] == []
    for kept in ("<img src=x onerror=alert(1)>", "<b>code</b>", "<script>alert(2)</script>",
                 "[x](javascript:alert(3))", "<iframe src=//e.com>", "<svg onload=alert(4)>",
                 "<script>alert(5)</script>"):  # fmt: skip
        assert kept in drawn["text"]
