"""The live page as a person uses it: the real `streamcli serve` process in front of the
fake model servers, and Debian's Chromium driven by Playwright.

`Served` runs `streamcli serve` (its own process, on a free port) and gives its address;
`Browser` is one headless Chromium for a test module; `Watched` is a page that records
every console message, page error and request, so a test can say that none went wrong
and none left the origin.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from chat_support import chat_env
from conftest import STREAMCLI

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
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
ADDRESS = re.compile(rb"streamcli serve: (http://\S+) ")

needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"no Chromium at {CHROMIUM} (apt-get install chromium): the page is tested in it",
)


def artifacts() -> Path:
    """Where screenshots go: $STREAMCLI_TEST_ARTIFACTS, else a temporary directory."""
    root = Path(os.environ.get("STREAMCLI_TEST_ARTIFACTS") or "/tmp/streamcli-page-artifacts")
    root.mkdir(parents=True, exist_ok=True)
    return root


class Served:
    """`streamcli serve ARGS` running in its own process until `stop`."""

    def __init__(self, *args: str, home: Path, **env: str) -> None:
        self.stderr_lines: list[bytes] = []
        self.process = subprocess.Popen(
            [*STREAMCLI, "serve", "--port", "0", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=chat_env(home, **env),
        )
        assert self.process.stdout is not None and self.process.stderr is not None
        self._stderr = threading.Thread(target=self._drain, daemon=True)
        self._stderr.start()
        line = self.process.stdout.readline()
        found = ADDRESS.search(line)
        if found is None:
            self.stop()
            raise AssertionError(f"serve did not start: {line!r} {self.stderr!r}")
        self.url = found.group(1).decode()
        self.origin = "{0.scheme}://{0.netloc}".format(urlsplit(self.url))

    def _drain(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr_lines.append(line)

    @property
    def stderr(self) -> str:
        return b"".join(self.stderr_lines).decode("utf-8", "replace")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
        try:
            status = self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            status = self.process.wait(5)
        self._stderr.join(5)
        if self.process.stdout is not None:
            self.process.stdout.close()
        return status

    def __enter__(self) -> Served:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


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
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}" == self.origin


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
        watched = Watched(page, served.origin)
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


def wait_until(condition: Any, timeout: float = 10.0, every: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return bool(condition())


def screenshot(watched: Watched, name: str) -> Path:
    path = artifacts() / f"{name}.png"
    watched.page.screenshot(path=str(path))
    return path


def copy_artifact(path: Path, to: Path) -> None:
    shutil.copyfile(path, to)
