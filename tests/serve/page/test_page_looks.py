"""How the live page looks and how it is used without a mouse, in a real Chromium: a
laptop's and a phone's width, light and dark as the system says (screenshots saved as
test artifacts), the keyboard alone, and a server with a key (the page opened once with
the printed token)."""

from __future__ import annotations

import re

import page_support
import pytest
from page_support import LAPTOP, PHONE, Watched, screenshot
from playwright.sync_api import expect
from serve_support import serving
from servers import Hang
from servers import openai as oa

browser = page_support.browser  # the fixtures: one Chromium for all
upstream = page_support.upstream

ANSWER = """## Streaming, block by block

Finished blocks are rendered **once**, on the server; only the *live* block is redrawn.

| approach | work per frame |
|----------|----------------|
| naive    | the whole answer |
| blocks   | the last block |

```python
def frame(blocks, live):
    return blocks + [render(live)]  # once a frame
```

- works offline
- nothing from another origin
"""


def ask(watched: Watched, prompt: str) -> None:
    box = watched.page.get_by_role("textbox", name="Message")
    box.fill(prompt)
    box.press("Enter")


def fits_the_width(watched: Watched) -> bool:
    return watched.page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
@pytest.mark.parametrize("size", ["laptop", "phone"])
def test_the_page_at_a_laptops_and_a_phones_width(upstream, tmp_path, browser, size, dark):
    log = tmp_path / "app.log"
    log.write_text(
        "2026-01-02 10:00:00 INFO service started\n"
        "2026-01-02 10:00:01 WARN disk at 91%\n"
        "2026-01-02 10:00:02 ERROR cannot reach the database\n"
        '{"time": "2026-01-02T10:00:03Z", "level": "debug", "msg": "retrying", "attempt": 2}\n'
    )
    pieces = [ANSWER[i : i + 8] for i in range(0, len(ANSWER), 8)]
    upstream.script(
        oa.PATH,
        oa.tool_calls([("c1", "time", {})], text="Let me check the time first.\n\n"),
        oa.stream(pieces, pause=0.002),
    )
    viewport = LAPTOP if size == "laptop" else PHONE
    scheme = "dark" if dark else "light"
    with (
        serving(
            "--tool", "time", "--tail", str(log), home=tmp_path, upstream=upstream.url
        ) as served,
        browser.page(served, viewport=viewport, dark=dark) as watched,
    ):
        page = watched.page
        page.goto(served.url)
        expect(page.locator("#backend")).to_have_text("openai · m")
        ask(watched, "How does the page draw an answer?")
        expect(page.get_by_role("button", name="Send")).to_be_visible(timeout=15000)
        expect(page.locator(".tool.ok")).to_be_visible()
        expect(page.locator("#stats")).to_contain_text("tokens/s")
        assert fits_the_width(watched)
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert (background == "rgb(13, 17, 23)") == dark, background
        screenshot(watched, f"page-chat-{size}-{scheme}")
        side = page.locator("#side")
        if size == "phone":
            # the side is folded away behind the Menu button
            expect(side).to_be_hidden()
            toggle = page.get_by_role("button", name="Menu")
            toggle.click()
            expect(toggle).to_have_attribute("aria-expanded", "true")
            expect(side).to_be_visible()
            screenshot(watched, f"page-side-{size}-{scheme}")
        else:
            expect(side).to_be_visible()
        page.get_by_role("link", name="app.log").click()
        expect(page.locator("#log-rows .row")).to_have_count(4)
        if size == "phone":
            expect(side).to_be_hidden()  # folded again once a link in it was followed
        assert fits_the_width(watched)
        screenshot(watched, f"page-log-{size}-{scheme}")
        assert watched.problems() == []


def test_keyboard_alone(upstream, tmp_path, browser):
    upstream.script(
        oa.PATH,
        oa.stream(["First answer."]),
        oa.sse([*oa.stream_body(["A long answer, stopped"])[:2], Hang()]),
    )
    with (
        serving(home=tmp_path, upstream=upstream.url) as served,
        browser.page(served) as watched,
    ):
        page = watched.page
        page.goto(served.url)
        expect(page.locator("#backend")).to_have_text("openai · m")
        # the first Tab reaches the skip link, which leads to the message box
        page.keyboard.press("Tab")
        expect(page.get_by_role("link", name="Skip to the message box")).to_be_focused()
        page.keyboard.press("Enter")
        message = page.get_by_role("textbox", name="Message")
        expect(message).to_be_focused()
        page.keyboard.type("two")
        page.keyboard.press("Shift+Enter")
        page.keyboard.type("lines")
        expect(message).to_have_value("two\nlines")
        page.keyboard.press("Enter")
        expect(page.locator(".prompt")).to_have_text(["two\nlines"])
        expect(page.locator(".exchange .answer").last).to_contain_text("First answer.")
        # the model is one Shift-Tab away: type a name, back to the message
        page.keyboard.press("Shift+Tab")
        expect(page.get_by_role("combobox", name="Model")).to_be_focused()
        page.keyboard.type("m")
        page.keyboard.press("Tab")
        expect(message).to_be_focused()
        page.keyboard.type("again")
        page.keyboard.press("Enter")
        stop = page.get_by_role("button", name="Stop")
        expect(stop).to_be_visible()
        expect(page.locator(".exchange .answer").last).to_contain_text("A long answer")
        # Tab reaches Stop; Enter on it stops the answer
        page.keyboard.press("Tab")
        expect(stop).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator(".exchange .answer").last.locator(".end-note")).to_have_text(
            "(interrupted)"
        )
        expect(message).to_be_focused()
        assert upstream.received(oa.PATH)[1].client_gone.wait(10)
        # every control that can take the focus shows it
        outline = page.evaluate(
            "(() => { const m = document.getElementById('message'); m.focus();"
            " return getComputedStyle(m).outlineStyle; })()"
        )
        assert outline != "none"
        assert watched.problems() == []


def test_escape_stops_an_answer(upstream, tmp_path, browser):
    upstream.script(oa.PATH, oa.sse([*oa.stream_body(["Going on and on"])[:2], Hang()]))
    with (
        serving(home=tmp_path, upstream=upstream.url) as served,
        browser.page(served) as watched,
    ):
        page = watched.page
        page.goto(served.url)
        ask(watched, "Go")
        expect(page.locator(".exchange .answer")).to_contain_text("Going on")
        page.keyboard.press("Escape")
        expect(page.locator(".end-note")).to_have_text("(interrupted)")
        assert upstream.received(oa.PATH)[0].client_gone.wait(10)
        assert watched.problems() == []


def test_with_a_key_the_page_opens_with_the_printed_token(upstream, tmp_path, browser):
    upstream.script(oa.PATH, oa.stream(["Keyed."]))
    with (
        serving(
            home=tmp_path, upstream=upstream.url, STREAMCLI_SERVE_KEY="page-test-key-123"
        ) as served,
        browser.page(served) as watched,
    ):
        page = watched.page
        assert served.token
        assert page.request.get(served.url).status == 401  # without the token
        page.goto(f"{served.url}?token={served.token}")
        expect(page).to_have_url(re.compile(r"/(#/)?$"))  # the token left the address
        expect(page.locator("#backend")).to_have_text("openai · m")
        ask(watched, "Hello")
        expect(page.locator(".exchange .answer")).to_contain_text("Keyed.")
        page.reload()  # the cookie keeps the page open
        expect(page.locator(".prompt")).to_have_text(["Hello"])
        assert watched.problems() == []
