"""MCP servers for the tests: the file that configures them, the real servers they name
(`mcp-server-time` from PyPI, tests/servers/mcp_test/server.py), a chat that uses them
(the fake model servers are in tool_protocols.py), and a look for processes left behind."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from chat_support import Result, run_chat
from servers import FakeServer
from tool_protocols import OPENAI, Protocol

PY = sys.executable
TEST_SERVER = Path(__file__).parent / "servers" / "mcp_test" / "server.py"
TIME_SERVER = shutil.which("mcp-server-time") or str(Path(PY).with_name("mcp-server-time"))


def not_found(command: str) -> str:
    """How a command that is nowhere is reported: where streamcli looked."""
    beside = os.path.dirname(PY)
    on_path = beside in os.environ.get("PATH", "").split(os.pathsep)
    looked = "looked on PATH" if on_path else f"looked on PATH and in {beside}"
    return f"command not found: {command} ({looked})"


def tools_server(*extra: str, **entry: Any) -> dict[str, Any]:
    """A stdio entry for tests/servers/mcp_test/server.py (`extra`: arguments it ignores,
    a marker to find its processes by)."""
    return {"command": PY, "args": [str(TEST_SERVER), "stdio", *extra], **entry}


def time_server(**entry: Any) -> dict[str, Any]:
    return {"command": TIME_SERVER, "args": ["--local-timezone", "UTC"], **entry}


def write_config(home: Path, servers: dict[str, Any], **top: Any) -> Path:
    """mcp.json in the config directory under `home`."""
    (home / "streamcli").mkdir(parents=True, exist_ok=True)
    path = home / "streamcli" / "mcp.json"
    path.write_text(json.dumps({"mcpServers": servers, **top}))
    return path


def mcp_chat(protocol: Protocol, server: FakeServer, home: Path, *args: str, **env: str) -> Result:
    """`streamcli chat` against the fake model server, with the state directory in `home`."""
    return run_chat(
        "what time is it?", "-m", "m", *protocol.args(server), *args, home=home,
        **{"XDG_STATE_HOME": str(home / "state"), **protocol.env, **env},
    )  # fmt: skip


def marker() -> str:
    """A unique word to put on a server's command line."""
    return f"marker-{uuid.uuid4().hex}"


def processes_with(word: str) -> list[int]:
    """The processes whose command line holds `word`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as file:
                line = file.read()
            with open(f"/proc/{entry}/stat", "rb") as file:
                state = file.read().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if word.encode() in line and state != b"Z":
            found.append(int(entry))
    return found


def gone(word: str, within: float = 10.0) -> bool:
    """Whether every process with `word` on its command line is gone (waiting a little)."""
    deadline = time.monotonic() + within
    while processes_with(word):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def start_http_server(tmp: Path, mode: str = "http") -> tuple[subprocess.Popen[bytes], str]:
    """The test server over streamable HTTP (`mode` "http", or "http-json": answers as JSON
    bodies; or "sse") on 127.0.0.1; returns it and its URL."""
    port_file = tmp / f"port-{uuid.uuid4().hex}"
    process = subprocess.Popen(
        [PY, str(TEST_SERVER), mode, str(port_file)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not port_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the MCP test server did not start")
        time.sleep(0.02)
    path = "/sse" if mode == "sse" else "/mcp"
    return process, f"http://127.0.0.1:{port_file.read_text()}{path}"


def call_remote(server: FakeServer, tmp: Path, kind: str, tool: str, arguments: dict) -> Result:
    """`streamcli chat` calling `tool` of the test server started over `kind` ("http",
    "http-json" or "sse"); the chat's result."""
    process, url = start_http_server(tmp, kind)
    try:
        write_config(tmp, {"remote": {"type": "sse" if kind == "sse" else "http", "url": url}})
        server.script(OPENAI.path, OPENAI.calls([("c1", f"remote__{tool}", arguments)]),
                      OPENAI.answer(["ok"]))  # fmt: skip
        return mcp_chat(OPENAI, server, tmp, "--mcp", "remote", "--approve", "--json")
    finally:
        process.kill()
        process.wait()
