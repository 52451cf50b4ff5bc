"""Running the real `streamcli serve` process against the fake model servers."""

from __future__ import annotations

import contextlib
import re
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
from chat_support import chat_env
from conftest import STREAMCLI

KEY = "sk-upstream-abcdefghijklmnop0123"  # the upstream's key: never in a response or log


class Served:
    """A running `streamcli serve`: its address, its log so far, and how to stop it."""

    def __init__(self, process: subprocess.Popen[bytes], line: str) -> None:
        self.process = process
        self.line = line
        found = re.search(r"(http://\S+?/)(\?token=(\S+))? ", line)
        assert found, line
        self.url = found.group(1)
        self.token = found.group(3)
        self._log: list[str] = []
        self._reader = threading.Thread(target=self._read_log, daemon=True)
        self._reader.start()

    def _read_log(self) -> None:
        assert self.process.stderr is not None
        for raw in self.process.stderr:
            self._log.append(raw.decode("utf-8", "replace"))

    @property
    def log(self) -> str:
        return "".join(self._log)

    def stop(self, signum: int = signal.SIGINT, timeout: float = 15) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        status = self.process.wait(timeout)
        self._reader.join(5)
        return status


@contextlib.contextmanager
def serving(*args: str, home: Path, upstream: str | None = None, **env: str) -> Iterator[Served]:
    """`streamcli serve --port 0 ARGS` (an OpenAI-compatible upstream at `upstream`, model
    m, unless ARGS say otherwise), stopped at the end."""
    command = [*STREAMCLI, "serve", "--port", "0"]
    if upstream is not None:
        command += ["-p", "openai", "--base-url", upstream + "/v1", "-m", "m"]
    environ = chat_env(
        home,
        OPENAI_API_KEY=KEY,
        XDG_DATA_HOME=str(home / "data"),
        XDG_STATE_HOME=str(home / "state"),
        **env,
    )
    work = home / "work"  # not `home`: its streamcli/ (the config) would shadow the package
    work.mkdir(exist_ok=True)
    process = subprocess.Popen(
        [*command, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environ,
        cwd=work,
    )
    assert process.stdout is not None
    line = process.stdout.readline().decode()
    if not line:
        process.wait(10)
        raise AssertionError(f"serve did not start: {process.stderr.read().decode()}")  # type: ignore[union-attr]
    served = Served(process, line)
    try:
        yield served
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def events_of(body: bytes) -> list[dict[str, Any]]:
    """The `data:` objects of an SSE body, checked against their `event:` names."""
    found = []
    for block in body.decode().split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in block.splitlines() if line and not line.startswith(":")
        )
        if "data" in fields:
            event = orjson.loads(fields["data"])
            assert fields.get("event") == event["type"]
            found.append(event)
    return found


def chat_stream(served: Served, body: dict[str, Any], **options: Any) -> httpx.Response:
    """POST /api/chat and read the whole stream."""
    with httpx.stream("POST", served.url + "api/chat", json=body, timeout=30, **options) as r:
        r.read()
        return r


def body_of(response: bytes) -> bytes:
    """The body of a raw HTTP/1.1 response read off a socket (chunked or not)."""
    head, _, rest = response.partition(b"\r\n\r\n")
    if b"transfer-encoding: chunked" not in head.lower():
        return rest
    body = b""
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        body, rest = body + rest[:size], rest[size + 2 :]
    return body
