"""Big results from a real stdio MCP server (tests/servers/mcp_test): a 50 MB text reaches
the model capped at 64 KiB, read in linear time and bounded memory; a message over the
64 MiB line limit fails that call with one clear error, the server is stopped, and the
chat goes on.

`streamcli chat` runs as its own process, its peak RSS (VmHWM) read while it runs: the MCP
server's memory is not counted. Memory is compared with the same chat given a small result,
so the test holds whatever streamcli's baseline is. (An address-space limit would bind the
MCP server too, which inherits it, and thread arenas make address space a poor measure.)
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from chat_support import Result, chat_env
from conftest import STREAMCLI
from mcp_support import call_remote, gone, marker, tools_server, write_config
from proc_support import peak_kib
from servers import FakeServer
from servers.http import Reply
from tool_protocols import OPENAI

MB = 1_000_000
REFUSED = "the MCP server big was stopped: it sent a message longer than 64 MiB (the limit)"


@pytest.fixture
def server():
    with FakeServer() as server:
        yield server


def _chat(server: FakeServer, home: Path, *replies: object) -> tuple[Result, int]:
    """`streamcli chat` with the servers of `home`'s MCP file, the fake model giving
    `replies` in turn; its result and its peak RSS in bytes."""
    server.script(OPENAI.path, *replies)
    env = chat_env(home, XDG_STATE_HOME=str(home / "state"), **OPENAI.env)
    argv = [*STREAMCLI, "chat", "hi", "-m", "m", *OPENAI.args(server)]
    out, err = home / "stdout", home / "stderr"  # files: a pipe could fill while we wait
    peak = 0
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        process = subprocess.Popen(
            [*argv, "--mcp", "big", "--mcp", "small", "--approve", "--json"],
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            env=env,
        )
        deadline = time.monotonic() + 240
        while process.poll() is None and time.monotonic() < deadline:
            peak = max(peak, peak_kib(process.pid))
            time.sleep(0.01)
        process.kill()
        process.wait()
    result = Result(process.returncode, out.read_bytes(), err.read_text("utf-8", "replace"))
    assert "Traceback" not in result.stderr and "MemoryError" not in result.stderr
    return result, peak * 1024


def _flood_once(server: FakeServer, home: Path, size: int) -> tuple[Result, int]:
    write_config(home, {"big": tools_server(), "small": tools_server()})
    call = ("c1", "big__flood_once", {"size": size})
    return _chat(server, home, OPENAI.calls([call]), OPENAI.answer(["done"]))


def test_a_50_mb_result_reaches_the_model_capped_in_bounded_memory(server, tmp_path):
    _, baseline = _flood_once(server, tmp_path / "small", 1000)
    result, peak = _flood_once(server, tmp_path / "big", 50 * MB)
    # read once into a buffer, parsed once (each 50 MB): about 150 MB more; 260 MB more
    # with the SDK's transport, whose reading was also quadratic (22 s)
    assert peak - baseline < 200 * MB
    assert result.status == 0, result.stderr
    (end,) = result.of("tool_end")
    assert end["ok"] is True, end["output"]
    assert "[49,934,464 bytes omitted]" in end["output"] and len(end["output"]) < 70_000
    second = server.received(OPENAI.path)[-1]
    (sent,) = OPENAI.results(second.json())
    assert sent["content"] == end["output"]  # what the model was told: the capped text
    assert result.text == "done"


def test_a_message_over_the_line_limit_fails_the_call_and_the_chat_goes_on(server, tmp_path):
    word = marker()
    write_config(tmp_path, {"big": tools_server(word), "small": tools_server()})
    too_big = ("c1", "big__flood", {"size": 40_000_000})  # sent twice: an 80 MB line
    again = ("c2", "big__echo", {"text": "still there?"})
    other = ("c3", "small__echo", {"text": "hello"})
    result, peak = _chat(
        server, tmp_path,
        OPENAI.calls([too_big]), OPENAI.calls([again, other]), OPENAI.answer(["done"]),
    )  # fmt: skip
    assert result.status == 0, result.stderr
    first, second, third = result.of("tool_end")
    assert (first["ok"], first["output"]) == (False, REFUSED)
    assert (second["ok"], second["output"]) == (False, REFUSED)  # the server is stopped
    assert (third["ok"], third["output"]) == (True, "echo: hello")  # the others go on
    assert result.text == "done"
    assert gone(word)
    assert peak < 250 * MB  # at most the limit (64 MiB) of the 80 MB line is held
    log = (tmp_path / "state" / "streamcli" / "mcp" / "client.log").read_text()
    assert "refused the server's message: longer than 67108864 bytes" in log


@pytest.mark.parametrize("kind", ["http", "http-json"])
def test_a_remote_server_s_result_has_the_limit_a_stdio_one_has(server, tmp_path, kind):
    """Over streamable HTTP, as an SSE event or a JSON body, a 3 MB result reaches the
    model capped as over stdio (the SDK alone refused SSE events over 1 MiB)."""
    result = call_remote(server, tmp_path, kind, "flood_once", {"size": 3 * MB})
    assert result.status == 0, result.stderr
    (end,) = result.of("tool_end")
    assert end["ok"], end["output"]
    assert end["output"].startswith("xxx") and len(end["output"]) < 3 * MB


def test_a_json_answer_past_the_limit_fails_with_the_limit_named(server):
    """`CappedJson` against a real HTTP server: a JSON body past the limit is refused
    while it is read, in words; an SSE body is left to the SDK's own cap."""
    import asyncio

    import httpx2

    from streamcli.tools.mcp.remote import CappedJson

    server.route("/big", Reply.json(200, [1] * 2000))
    events = {"content-type": "text/event-stream"}
    server.route("/events", Reply(200, [b"data: " + b"x" * 5000], events))

    async def read(path: str) -> bytes:
        transport = CappedJson(httpx2.AsyncHTTPTransport(), limit=1000)
        async with httpx2.AsyncClient(transport=transport) as client:
            response = await client.get(server.url + path)
            return await response.aread()

    with pytest.raises(httpx2.StreamError, match="larger than 1000 bytes, the most streamcli"):
        asyncio.run(read("/big"))
    assert len(asyncio.run(read("/events"))) == 5006
