"""The chat on the live page, in a real Chromium against the real `streamcli serve` and a
fake OpenAI-compatible upstream: it loads clean, a question streams, Markdown renders,
hostile text stays text, Stop cancels upstream, the history survives a reload."""

from __future__ import annotations

import re
from collections.abc import Iterator

import page_support
from page_support import Watched
from playwright.sync_api import expect
from serve_support import serving
from servers import Hang, Pause
from servers import openai as oa

MARKDOWN = """# Plan

Some **bold** words and `inline code`.

- first
- second

| name | size |
|------|-----:|
| a    |    1 |
| b    |   22 |

```python
def double(x):
    return x * 2  # twice
```

The end.
"""

# One paragraph: it stays the live block (drawn by the page) until the stream ends, then
# it is a finished block (rendered by the server); both must keep it text.
HOSTILE = (
    'Look: <script>window.pwned = 1</script> <img src=x onerror="window.pwned = 2">\n'
    '<iframe src="https://example.com"></iframe> [click me](javascript:window.pwned=3)\n'
    "and [fine](https://example.com/a?b=1)\n"
)


browser = page_support.browser  # the fixtures: one Chromium for all
upstream = page_support.upstream


def pieces(text: str, size: int = 6) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def open_page(watched: Watched, url: str) -> None:
    watched.page.goto(url)
    expect(watched.page.locator("#backend")).to_have_text("openai · m")


def ask(watched: Watched, prompt: str) -> None:
    box = watched.page.get_by_role("textbox", name="Message")
    box.fill(prompt)
    box.press("Enter")


def live_then_finished(watched: Watched) -> Iterator[str]:
    """An answer's two phases: its text drawn live by the page (the stream pauses before
    its end), then, once Send is back, finished and rendered by the server."""
    yield "live"
    expect(watched.page.get_by_role("button", name="Send")).to_be_visible()
    yield "finished"


def answer(watched: Watched):
    return watched.page.locator(".exchange .answer").last


def test_the_page_loads_clean_and_offers_the_models(upstream, tmp_path, browser):
    with (
        serving(home=tmp_path, upstream=upstream.url) as served,
        browser.page(served) as watched,
    ):
        response = watched.page.goto(served.url)
        assert "script-src 'self'" in response.headers["content-security-policy"]
        expect(watched.page.locator("#backend")).to_have_text("openai · m")
        model = watched.page.get_by_role("combobox", name="Model")
        expect(model).to_be_visible()
        expect(watched.page.locator("#models option")).to_have_count(2)
        options = watched.page.locator("#models option").evaluate_all("os => os.map(o => o.value)")
        assert options == ["m", "other-model"]
        expect(watched.page.get_by_role("textbox", name="Message")).to_be_editable()
        watched.page.wait_for_load_state("networkidle")
        assert watched.problems() == []
        assert any(url.endswith("/static/js/main.js") for url in watched.requests)


def test_a_question_streams_in_with_its_figures(upstream, tmp_path, browser):
    first, rest = "The answer starts here", " and goes on after a pause."
    upstream.script(
        oa.PATH, oa.sse([*oa.stream_body([first])[:2], Pause(1.5), *oa.stream_body([rest])[1:]])
    )
    with (
        serving(home=tmp_path, upstream=upstream.url) as served,
        browser.page(served) as watched,
    ):
        open_page(watched, served.url)
        ask(watched, "Tell me")
        page = watched.page
        stop = page.get_by_role("button", name="Stop")
        expect(stop).to_be_visible()
        # the first words are on the page while the answer still streams (the source
        # holds back the last few characters: they might begin a key it masks)
        expect(answer(watched)).to_contain_text("The answer starts")
        expect(answer(watched)).not_to_contain_text("goes on")
        expect(stop).to_be_visible()
        expect(page.locator("#stats")).to_contain_text("first token")
        expect(page.locator("#stats")).to_contain_text("chunks/s")
        expect(answer(watched)).to_contain_text(first + rest)
        expect(stop).to_be_hidden()
        expect(page.get_by_role("button", name="Send")).to_be_visible()
        # at the end, the server's token count (7) with the chunks beside it
        expect(page.locator("#stats")).to_have_text(
            re.compile(r"first token \d+ ms · 7 tokens \(2 chunks\) · [\d.]+ tokens/s")
        )
        sent = upstream.received(oa.PATH)[0].json()
        assert sent["messages"][-1] == {"role": "user", "content": "Tell me"}
        assert watched.problems() == []


def test_markdown_renders_headings_lists_tables_and_highlighted_code(upstream, tmp_path, browser):
    upstream.script(oa.PATH, oa.stream(pieces(MARKDOWN), pause=0.005))
    with (
        serving(home=tmp_path, upstream=upstream.url) as served,
        browser.page(served) as watched,
    ):
        open_page(watched, served.url)
        ask(watched, "Markdown, please")
        shown = answer(watched)
        expect(shown).to_contain_text("The end.")
        expect(watched.page.get_by_role("button", name="Send")).to_be_visible()
        expect(shown.get_by_role("heading", name="Plan")).to_be_visible()
        expect(shown.get_by_role("listitem")).to_have_text(["first", "second"])
        table = shown.get_by_role("table")
        expect(table.get_by_role("columnheader")).to_have_text(["name", "size"])
        expect(table.get_by_role("row")).to_have_count(3)
        expect(shown.locator("strong")).to_have_text("bold")
        expect(shown.locator("p code")).to_have_text("inline code")
        code = shown.locator("pre code.language-python")
        expect(code).to_contain_text("return x * 2  # twice")
        keyword = code.locator(".hl-k").first
        expect(keyword).to_have_text("def")
        colours = keyword.evaluate(
            "k => [getComputedStyle(k).color, getComputedStyle(k.parentElement).color]"
        )
        assert colours[0] != colours[1], "the keyword is not highlighted"
        # the live block is gone: everything was rendered once, as finished blocks
        assert shown.locator(".live").evaluate_all("ls => ls.map(l => l.textContent)") == [""]
        assert watched.problems() == []


def test_hostile_html_stays_text_and_javascript_links_are_not_links(upstream, tmp_path, browser):
    # the text stays in the live block for a while (no blank line after it yet), then ends
    body = oa.stream_body(pieces(HOSTILE, 9))
    upstream.script(oa.PATH, oa.sse([*body[:-3], Pause(1.0), *body[-3:]]))
    with (
        serving(home=tmp_path, upstream=upstream.url) as served,
        browser.page(served) as watched,
    ):
        dialogs = []
        watched.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        open_page(watched, served.url)
        ask(watched, "Be hostile")
        shown = answer(watched)
        for phase in live_then_finished(watched):
            if phase == "live":
                expect(shown).to_contain_text("[fine](https://example.com/a?b=1)")
            expect(shown).to_contain_text("<script>window.pwned = 1</script>")
            expect(shown).to_contain_text('<img src=x onerror="window.pwned = 2">')
            expect(shown).to_contain_text('<iframe src="https://example.com"></iframe>')
            expect(shown).to_contain_text("[click me](javascript:window.pwned=3)")
            assert shown.locator("script, img, iframe").count() == 0, phase
            assert shown.locator("a[href^='javascript']").count() == 0, phase
        link = shown.get_by_role("link", name="fine")
        expect(link).to_have_attribute("href", "https://example.com/a?b=1")
        expect(link).to_have_attribute("rel", "noopener noreferrer")
        assert watched.page.evaluate("window.pwned") is None
        assert dialogs == []
        assert watched.problems() == []


# Characters that would reverse or hide text, and a joined emoji that must stay one.
SPOOF = "Pay \u202eevil\u202c now, a\u200bb, \x1b[31mred, family 👨\u200d👩\u200d👧 ok\n"


def test_bidirectional_and_invisible_characters_show_as_escapes(upstream, tmp_path, browser):
    body = oa.stream_body(pieces(SPOOF, 5))
    upstream.script(oa.PATH, oa.sse([*body[:-3], Pause(1.0), *body[-3:]]))
    with (
        serving(home=tmp_path, upstream=upstream.url) as served,
        browser.page(served) as watched,
    ):
        open_page(watched, served.url)
        ask(watched, "Spoof")
        shown = answer(watched)
        for phase in live_then_finished(watched):
            expect(shown).to_contain_text("Pay \\u202eevil\\u202c now, a\\u200bb, \\x1b[31mred")
            expect(shown).to_contain_text("family 👨\u200d👩\u200d👧 ok")
            text = shown.inner_text()
            assert "\u202e" not in text and "\u200b" not in text and "\x1b" not in text, phase
        assert watched.problems() == []


def test_stop_cancels_upstream_and_keeps_the_partial_answer(upstream, tmp_path, browser):
    upstream.script(oa.PATH, oa.sse([*oa.stream_body(["Half an answer so far"])[:2], Hang()]))
    with (
        serving(home=tmp_path, upstream=upstream.url) as served,
        browser.page(served) as watched,
    ):
        open_page(watched, served.url)
        ask(watched, "Go slowly")
        expect(answer(watched)).to_contain_text("Half an answer")
        [request] = upstream.received(oa.PATH)
        assert not request.client_gone.is_set()
        watched.page.get_by_role("button", name="Stop").click()
        assert request.client_gone.wait(10), "the upstream request was not cancelled"
        expect(answer(watched)).to_contain_text("Half an answer")
        expect(answer(watched).locator(".end-note")).to_have_text("(interrupted)")
        expect(watched.page.get_by_role("button", name="Send")).to_be_visible()
        # the history says so too, after a reload
        expect(watched.page.locator("#history-list a")).to_contain_text(["Go slowly (interrupted)"])
        watched.page.reload()
        expect(answer(watched)).to_contain_text("Half an answer")
        expect(answer(watched).locator(".end-note")).to_have_text("(interrupted)")
        assert watched.problems() == []


def test_the_history_survives_a_reload_and_a_conversation_continues(upstream, tmp_path, browser):
    upstream.script(
        oa.PATH, oa.stream(["# First\n\nThe **first** answer."]), oa.stream(["Second."])
    )
    with (
        serving(home=tmp_path, upstream=upstream.url) as served,
        browser.page(served) as watched,
    ):
        page = watched.page
        open_page(watched, served.url)
        ask(watched, "One")
        expect(answer(watched)).to_contain_text("The first answer.")
        expect(page).to_have_url(re.compile(r"#/chat/\d+$"))
        conversation = page.url.rsplit("/", 1)[1]
        expect(page.get_by_role("link", name=re.compile("^One"))).to_be_visible()
        page.get_by_role("textbox", name="Message").fill("a draft")
        page.reload()
        # the same conversation, as it was: the prompt, the answer rendered, the draft
        expect(page.locator(".prompt")).to_have_text(["One"])
        expect(answer(watched).get_by_role("heading", name="First")).to_be_visible()
        expect(answer(watched).locator("strong")).to_have_text("first")
        expect(page.get_by_role("textbox", name="Message")).to_have_value("a draft")
        # a new chat, then the old one opened from the list, continued
        page.get_by_role("link", name="New chat").click()
        expect(page.locator(".prompt")).to_have_count(0)
        page.get_by_role("link", name=re.compile("^One")).click()
        expect(page.locator(".prompt")).to_have_text(["One"])
        ask(watched, "Two")
        expect(answer(watched)).to_contain_text("Second.")
        expect(page).to_have_url(re.compile(rf"#/chat/{conversation}$"))
        sent = upstream.received(oa.PATH)[1].json()["messages"]
        assert [m["role"] for m in sent] == ["user", "assistant", "user"]
        assert sent[0]["content"] == "One" and sent[2]["content"] == "Two"
        page.reload()
        expect(page.locator(".prompt")).to_have_text(["One", "Two"])
        assert watched.problems() == []


def test_the_model_typed_is_the_model_asked(upstream, tmp_path, browser):
    upstream.script(oa.PATH, oa.stream(["ok"]), oa.stream(["ok"]))
    with (
        serving(home=tmp_path, upstream=upstream.url) as served,
        browser.page(served) as watched,
    ):
        open_page(watched, served.url)
        model = watched.page.get_by_role("combobox", name="Model")
        model.fill("a-model-nobody-listed")
        model.press("Tab")
        ask(watched, "Hi")
        expect(watched.page.get_by_role("button", name="Send")).to_be_visible()
        assert upstream.received(oa.PATH)[0].json()["model"] == "a-model-nobody-listed"
        watched.page.reload()  # the choice is remembered
        expect(model).to_have_value("a-model-nobody-listed")
        assert watched.problems() == []


def test_without_a_history_the_page_says_each_question_stands_alone(upstream, tmp_path, browser):
    upstream.script(oa.PATH, oa.stream(["One."]), oa.stream(["Two."]))
    with (
        serving("--no-history", home=tmp_path, upstream=upstream.url) as served,
        browser.page(served) as watched,
    ):
        open_page(watched, served.url)
        expect(watched.page.get_by_text("The server keeps no history")).to_be_visible()
        expect(watched.page.get_by_role("heading", name="History")).to_be_hidden()
        ask(watched, "first")
        expect(answer(watched)).to_contain_text("One.")
        ask(watched, "second")
        expect(answer(watched)).to_contain_text("Two.")
        sent = upstream.received(oa.PATH)[1].json()["messages"]
        assert [m["content"] for m in sent if m["role"] == "user"] == ["second"]
        assert watched.problems() == []
