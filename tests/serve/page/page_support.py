"""The live page as a person uses it: the real `streamcli serve` process in front of the
fake model servers (`serve_support.serving`), and Debian's Chromium driven by Playwright.

`Browser` is one headless Chromium; `Watched` is a page that records every console
message, page error and request, so a test can say that none went wrong and none left
the origin. Screenshots go to $STREAMCLI_TEST_ARTIFACTS (default
/tmp/streamcli-page-artifacts).
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # serve_support, one up
from serve_support import Served, events_of, serving
from servers import FakeServer
from servers import openai as oa

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STATIC = Path(__file__).resolve().parents[3] / "streamcli" / "serve" / "static"
# The lines a log view keeps (static/js/logs.js says it once)
LOG_CAP = int(re.search(r"export const CAP = (\d+);", (STATIC / "js" / "logs.js").read_text())[1])
__all__ = ["events_of", "serving"]  # serve_support's, for the page's tests
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def artifacts() -> Path:
    """Where screenshots go: $STREAMCLI_TEST_ARTIFACTS, else a temporary directory."""
    root = Path(os.environ.get("STREAMCLI_TEST_ARTIFACTS") or "/tmp/streamcli-page-artifacts")
    root.mkdir(parents=True, exist_ok=True)
    return root


@dataclass
class Watched:
    """A page, and what happened on it: console messages, page errors, requests."""

    page: Any
    origin: str
    console: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        """Console errors and warnings, uncaught errors, and requests to another origin."""
        said = [f"console {k}: {text}" for k, text in self.console if k in ("error", "warning")]
        foreign = [f"request to {url}" for url in self.requests if not self._ours(url)]
        return said + [f"page error: {e}" for e in self.errors] + foreign

    def _ours(self, url: str) -> bool:
        if url.startswith(("data:", "blob:", "about:")):
            return True
        return origin(url) == self.origin


class Browser:
    """One headless Chromium (Debian's, through Playwright) for a module's tests."""

    def __init__(self) -> None:
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        self.browser = self._playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        self.version = self.browser.version

    @contextlib.contextmanager
    def page(
        self, served: Served, *, viewport: dict[str, int] = LAPTOP, dark: bool = False
    ) -> Iterator[Watched]:
        """A fresh page (its own cookies) on `served`'s address, watched."""
        context = self.browser.new_context(
            viewport=viewport,
            color_scheme="dark" if dark else "light",
            device_scale_factor=1,
            has_touch=viewport is PHONE,
            is_mobile=False,
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        watched = Watched(page, origin(served.url))
        page.on("console", lambda m: watched.console.append((m.type, m.text)))
        page.on("pageerror", lambda e: watched.errors.append(str(e)))
        page.on("request", lambda r: watched.requests.append(r.url))
        try:
            yield watched
        finally:
            context.close()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.browser.close()
        self._playwright.stop()


_opened: list[Browser] = []  # the one Chromium, shared by every module's fixture


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Chromium for every page test (a module takes it with `browser =
    page_support.browser`; Playwright's sync API runs one instance per process)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium): the page runs in it")
    if _opened:
        yield _opened[0]
        return
    _opened.append(Browser())
    print(f"\nChromium {_opened[0].version} at {CHROMIUM}")
    try:
        yield _opened[0]
    finally:
        _opened.pop().close()


@pytest.fixture
def upstream() -> Iterator[FakeServer]:
    """The model's server: an OpenAI-compatible fake listing models m and other-model
    (the page lists them, whatever it shows)."""
    with FakeServer() as server:
        server.route("/v1/models", oa.models(["m", "other-model"]))
        yield server


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def screenshot(watched: Watched, name: str) -> Path:
    """Save what the page shows as NAME.png among the test artifacts."""
    path = artifacts() / f"{name}.png"
    watched.page.screenshot(path=str(path), animations="disabled")
    return path
