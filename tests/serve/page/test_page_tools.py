"""Tool calls on the live page, in a real Chromium: a spinner with the tool's name while
it runs, then ✓ or ✗ with its duration; the approval question answered on the page
(Approve / Deny), and the answer going on below the tool's row."""

from __future__ import annotations

import re
import sys

import orjson
import page_support
import pytest
from page_support import Watched
from playwright.sync_api import expect
from serve_support import serving
from servers import openai as oa

browser = page_support.browser  # the fixtures: one Chromium for all
upstream = page_support.upstream


def user_tool(home, name: str, code: str) -> None:
    """A tool of the tools file: `code` run by this Python."""
    config = home / "streamcli"
    config.mkdir(exist_ok=True)
    command = orjson.dumps([sys.executable, "-c", code]).decode()
    (config / "tools.toml").write_text(f'[{name}]\ndescription = "d"\ncommand = {command}\n')


def ask(watched: Watched, url: str, prompt: str) -> None:
    watched.page.goto(url)
    expect(watched.page.locator("#backend")).not_to_be_empty()
    box = watched.page.get_by_role("textbox", name="Message")
    box.fill(prompt)
    box.press("Enter")


def test_a_running_tool_spins_then_shows_its_mark_and_duration(upstream, tmp_path, browser):
    user_tool(tmp_path, "build", "import time; time.sleep(1.5); print('built')")
    upstream.script(
        oa.PATH,
        oa.tool_calls([("c1", "build", {"target": "all"})], text="Building first.\n\n"),
        oa.stream(["It **worked**."]),
    )
    with (
        serving("--tool", "build", "--approve", home=tmp_path, upstream=upstream.url) as served,
        browser.page(served) as watched,
    ):
        ask(watched, served.url, "build it")
        tool = watched.page.locator(".tool")
        expect(tool).to_have_class(re.compile(r"\brunning\b"))
        expect(tool.locator(".tool-name")).to_have_text("build")
        expect(tool.locator(".tool-args")).to_have_text('{"target":"all"}')
        expect(tool.locator(".spinner")).to_be_visible()
        expect(tool).to_have_class(re.compile(r"\bok\b"), timeout=15000)
        expect(tool.locator(".spinner")).to_have_text("✓")
        expect(tool.locator(".tool-progress")).to_have_text(re.compile(r"^\d\.\d s$"))
        # the text before the call above its row, the answer after it below
        answer = watched.page.locator(".exchange .answer")
        expect(answer.locator(".md.part")).to_have_text(["Building first.", "It worked."])
        assert answer.evaluate("a => [...a.children].map(c => c.className.split(' ')[0])") == [
            "md",
            "tool",
            "md",
        ]
        tool.locator("summary").click()
        expect(tool.locator(".tool-output pre")).to_have_text("built")
        assert watched.problems() == []


@pytest.mark.parametrize("approve", [True, False])
def test_the_page_approves_or_denies_a_tool_call(upstream, tmp_path, browser, approve):
    user_tool(tmp_path, "deploy", "print('deployed')")
    upstream.script(
        oa.PATH, oa.tool_calls([("c1", "deploy", {"to": "prod"})]), oa.stream(["Over."])
    )
    with (
        serving("--tool", "deploy", home=tmp_path, upstream=upstream.url) as served,
        browser.page(served) as watched,
    ):
        ask(watched, served.url, "ship it")
        question = watched.page.get_by_role("group", name="Run the tool deploy?")
        expect(question).to_be_visible()
        expect(question.locator(".arguments")).to_contain_text('"to": "prod"')
        expect(question.locator(".what")).to_contain_text("command:")
        button = question.get_by_role("button", name="Approve" if approve else "Deny")
        if approve:
            expect(button).to_be_focused()  # Enter answers it, for keyboard users
        button.click()
        expect(question).to_contain_text("Approved." if approve else "Denied.")
        expect(question.get_by_role("button")).to_have_count(0)
        tool = watched.page.locator(".tool")
        expect(tool).to_have_class(re.compile(r"\bok\b" if approve else r"\bfailed\b"))
        expect(tool.locator(".spinner")).to_have_text("✓" if approve else "✗")
        expect(watched.page.locator(".exchange .answer")).to_contain_text("Over.")
        results = [
            m for m in upstream.received(oa.PATH)[1].json()["messages"] if m["role"] == "tool"
        ]
        assert results[0]["content"].endswith("deployed\n" if approve else "denied by the user")
        assert watched.problems() == []
