"""Logs and recordings on the live page, in a real Chromium: a `--tail` file followed
(levels coloured, JSON logs readable, appends within a second, truncation and rotation
followed and told, a bounded DOM that says what scrolled away), and recordings replayed
with their timing — offered by the server, opened, or dropped on the page."""

from __future__ import annotations

import re
import time

import orjson
import page_support
import pytest
from page_support import LOG_CAP, Watched
from playwright.sync_api import expect
from serve_support import serving

browser = page_support.browser  # the fixtures: one Chromium for all
upstream = page_support.upstream


LOG = (
    "2026-01-02 10:00:00 INFO service started\n"
    "2026-01-02 10:00:01 ERROR cannot reach the database <db-1>\n"
    '{"time": "2026-01-02T10:00:02Z", "level": "warn", "msg": "slow query", "ms": 812}\n'
)


def rows(watched: Watched):
    return watched.page.locator("#log-rows .row")


def open_tail(watched: Watched, url: str, name: str) -> None:
    watched.page.goto(url)
    watched.page.get_by_role("link", name=name, exact=True).click()
    expect(watched.page.locator("#log-state")).to_have_text("following")


def append(path, text: str) -> None:
    with path.open("a", encoding="utf-8") as file:
        file.write(text)
        file.flush()


def test_a_log_is_followed_levels_coloured_json_readable(upstream, tmp_path, browser):
    log = tmp_path / "app.log"
    log.write_text(LOG)
    with (
        serving("--tail", str(log), home=tmp_path, upstream=upstream.url) as served,
        browser.page(served) as watched,
    ):
        open_tail(watched, served.url, "app.log")
        page = watched.page
        expect(page).to_have_url(re.compile(r"#/tail/app\.log$"))
        expect(page.get_by_role("heading", name="app.log")).to_be_visible()
        expect(rows(watched)).to_have_text(
            [
                "2026-01-02 10:00:00 INFO service started",
                "2026-01-02 10:00:01 ERROR cannot reach the database <db-1>",
                "2026-01-02T10:00:02Z WARN  slow query ms=812",
            ]
        )
        error_word = rows(watched).nth(1).locator(".lv-error")
        expect(error_word).to_have_text("ERROR")
        plain, red = error_word.evaluate(
            "e => [getComputedStyle(e.closest('.row').previousElementSibling).color,"
            " getComputedStyle(e).color]"
        )
        assert plain != red, "the error level is not coloured"
        expect(rows(watched).nth(2).locator(".lv-warning")).to_have_text("WARN ")
        # an append shows within a second
        append(log, "2026-01-02 10:00:03 INFO appended just now\n")
        started = time.monotonic()
        expect(rows(watched).last).to_have_text(
            "2026-01-02 10:00:03 INFO appended just now", timeout=1000
        )
        print(f"append shown after {time.monotonic() - started:.3f} s")
        # truncation is told, and the lines after it follow
        log.write_text("")
        expect(page.locator("#log-rows .notice")).to_contain_text("truncated")
        append(log, "after the truncation\n")
        expect(rows(watched).last).to_have_text("after the truncation")
        # rotation: the old file's last line, then the new file's, told in between
        append(log, "last line of the old file\n")
        log.rename(tmp_path / "app.log.1")
        append(log, "first line of the new file\n")
        expect(page.locator("#log-rows .notice").last).to_contain_text("has been replaced")
        expect(rows(watched).last).to_have_text("first line of the new file")
        shown = rows(watched).all_inner_texts()
        assert shown.index("last line of the old file") < shown.index("first line of the new file")
        # a reload comes back to the same log
        page.reload()
        expect(page.get_by_role("heading", name="app.log")).to_be_visible()
        expect(rows(watched).last).to_have_text("first line of the new file")
        assert watched.problems() == []


def test_thousands_of_lines_keep_the_page_bounded_and_say_what_scrolled_away(
    upstream, tmp_path, browser
):
    log = tmp_path / "busy.log"
    log.write_text("")
    total = LOG_CAP + 1500
    with (
        serving("--tail", str(log), home=tmp_path, upstream=upstream.url) as served,
        browser.page(served) as watched,
    ):
        open_tail(watched, served.url, "busy.log")
        for start in range(0, total, 500):
            append(log, "".join(f"INFO line {n}\n" for n in range(start, min(total, start + 500))))
            time.sleep(0.05)
        expect(rows(watched).last).to_have_text(f"INFO line {total - 1}", timeout=15000)
        assert rows(watched).count() == LOG_CAP
        expect(rows(watched).first).to_have_text(f"INFO line {total - LOG_CAP}")
        expect(watched.page.locator("#log-cap")).to_have_text(
            f"Showing the last {LOG_CAP:,} lines: 1,500 earlier lines scrolled away."
        )
        # still following at the end: the newest line is in view
        assert rows(watched).last.is_visible()
        assert watched.page.evaluate(
            "(() => { const r = document.getElementById('log-rows');"
            " return r.scrollHeight - r.scrollTop - r.clientHeight < 30; })()"
        )
        assert watched.problems() == []


def recording(path, pause: float = 0.8):
    """A chat recording: a heading and a list at once, a paragraph `pause` s later."""
    events = [
        {"type": "start", "t": 0.0, "v": 1, "source": "chat", "provider": "openai", "model": "m"},
        {"type": "text", "t": 0.01, "text": "## Replayed\n\n- one\n- two\n\n"},
        {"type": "text", "t": 0.01 + pause, "text": "Later **words**.\n"},
        {"type": "end", "t": 0.02 + pause, "reason": "stop"},
    ]
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))
    return path


def check_replayed(watched: Watched) -> None:
    shown = watched.page.locator("#replay-stream .answer")
    expect(shown.get_by_role("heading", name="Replayed")).to_be_visible()
    # (the list is the live block until the next one begins: the cursor is after "two")
    expect(shown.get_by_role("listitem")).to_contain_text(["one", "two"])
    # the recording's timing: the paragraph comes later
    assert "Later" not in shown.inner_text()
    expect(shown.get_by_role("listitem")).to_have_text(["one", "two"])
    expect(shown.locator("strong")).to_have_text("words")
    expect(watched.page.locator("#replay-state")).to_have_text("played")


def test_an_offered_recording_replays_with_its_timing(upstream, tmp_path, browser):
    saved = recording(tmp_path / "talk.jsonl")
    with (
        serving("--replay", str(saved), home=tmp_path, upstream=upstream.url) as served,
        browser.page(served) as watched,
    ):
        watched.page.goto(served.url)
        watched.page.get_by_role("link", name="talk.jsonl").click()
        expect(watched.page.get_by_role("heading", name="talk.jsonl")).to_be_visible()
        check_replayed(watched)
        watched.page.get_by_role("button", name="Play again").click()
        check_replayed(watched)
        assert watched.problems() == []


@pytest.mark.parametrize("how", ["opened", "dropped"])
def test_a_recording_from_this_computer_replays(upstream, tmp_path, browser, how):
    saved = recording(tmp_path / "mine.jsonl")
    with (
        serving(home=tmp_path, upstream=upstream.url) as served,
        browser.page(served) as watched,
    ):
        page = watched.page
        page.goto(served.url)
        expect(page.locator("#backend")).not_to_be_empty()
        if how == "opened":
            page.get_by_label("Open a recording…").set_input_files(str(saved))
        else:
            dropped = page.evaluate_handle(
                "text => { const d = new DataTransfer();"
                " d.items.add(new File([text], 'mine.jsonl')); return d; }",
                saved.read_text(),
            )
            page.dispatch_event("body", "dragenter", {"dataTransfer": dropped})
            expect(page.get_by_text("Drop the recording to replay it")).to_be_visible()
            page.dispatch_event("body", "drop", {"dataTransfer": dropped})
            expect(page.get_by_text("Drop the recording to replay it")).to_be_hidden()
        expect(page.get_by_role("heading", name="mine.jsonl")).to_be_visible()
        check_replayed(watched)
        assert watched.problems() == []
