"""What MCP costs: a tool round over the server's own call, start-up, and `--version`.

    python benchmarks/mcp_round.py [--calls 200] [--starts 5] [--without PYTHON]

1. A tool round: the test server's `echo` called N times by a bare SDK client (its own
   event loop, `await session.call_tool` timed: the server's own time for the call, with
   the transport) and N times through streamcli's round (`run_round` from the source's
   thread: the check, the events, the tool thread, the hop to the hub's event loop and
   back, the `tool_end`). Added = the round's median − the bare call's median. Goal ≤ 5 ms.
2. Start-up with two Python MCP servers (tests/servers/mcp_test and mcp-server-time): each
   alone, then both through one hub. Goal: about the slower one's start, not the sum.
3. `streamcli --version` with the extra installed (this interpreter) and, given
   `--without PYTHON`, with an interpreter whose environment has no `mcp`; and what a chat
   without servers pays to learn there are none (`wants_servers`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import anyio

from streamcli.events import StreamClock
from streamcli.tools.call import ToolCall
from streamcli.tools.mcp.config import ServerEntry, wants_servers
from streamcli.tools.mcp.hub import McpHub
from streamcli.tools.mcp.offer import start_servers
from streamcli.tools.round import run_round
from streamcli.tools.toolbox import Toolbox

ROOT = Path(__file__).resolve().parents[1]
TEST_SERVER = ROOT / "tests" / "servers" / "mcp_test" / "server.py"
TIME_SERVER = shutil.which("mcp-server-time") or str(
    Path(sys.executable).with_name("mcp-server-time")
)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[int(len(ordered) * 0.9) - 1]
    return f"median {ms(statistics.median(ordered))}, p90 {ms(p90)}, min {ms(ordered[0])}"


def bare_calls(count: int) -> list[float]:
    """`echo` through the SDK alone: the server's own time for the call."""
    from mcp import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    times: list[float] = []

    async def main() -> None:
        parameters = StdioServerParameters(command=sys.executable, args=[str(TEST_SERVER), "stdio"])
        with open(os.devnull, "w") as errlog:
            async with (
                stdio_client(parameters, errlog=errlog) as (read, write),
                ClientSession(read, write) as session,
            ):
                await session.initialize()
                await session.list_tools()
                for _ in range(10):
                    await session.call_tool("echo", {"text": "hi"})
                for _ in range(count):
                    started = time.perf_counter()
                    await session.call_tool("echo", {"text": "hi"})
                    times.append(time.perf_counter() - started)

    anyio.run(main)
    return times


def round_calls(count: int, environ: dict[str, str]) -> list[float]:
    """`echo` through streamcli's tool round, from a thread as the chat source runs it."""
    config = Path(environ["XDG_CONFIG_HOME"]) / "streamcli" / "mcp.json"
    config.parent.mkdir(parents=True, exist_ok=True)
    entry = {"command": sys.executable, "args": [str(TEST_SERVER), "stdio"], "trust": True}
    config.write_text(json.dumps({"mcpServers": {"test": entry}}))
    toolbox = Toolbox({}, environ=environ)
    toolbox.mcp = start_servers(["test"], None, environ, toolbox)
    clock, stop = StreamClock(), threading.Event()
    times: list[float] = []
    try:
        for index in range(count + 10):
            call = ToolCall(f"c{index}", "test__echo", {"text": "hi"})
            started = time.perf_counter()
            for batch in run_round([call], toolbox, clock, stop):
                assert isinstance(batch, list)
                if any(event["type"] == "tool_end" for event in batch):
                    assert batch[-1]["ok"], batch
            if index >= 10:
                times.append(time.perf_counter() - started)
    finally:
        toolbox.close()
    return times


def start_times(entries: list[ServerEntry], environ: dict[str, str], starts: int) -> list[float]:
    times = []
    log_dir = Path(environ["XDG_STATE_HOME"])
    for _ in range(starts):
        hub = McpHub(entries, environ, log_dir)
        started = time.perf_counter()
        hub.start()
        times.append(time.perf_counter() - started)
        hub.close()
    return times


def version_times(python: str, runs: int) -> list[float]:
    times = []
    for _ in range(runs + 2):
        started = time.perf_counter()
        subprocess.run([python, "-m", "streamcli", "--version"], check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return times[2:]


def has_mcp(python: str) -> bool:
    code = "import importlib.util, sys; sys.exit(0 if importlib.util.find_spec('mcp') else 1)"
    return subprocess.run([python, "-c", code]).returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--versions", type=int, default=20)
    parser.add_argument("--without", metavar="PYTHON", help="an interpreter without mcp")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        environ = {
            **os.environ,
            "XDG_CONFIG_HOME": f"{home}/config",
            "XDG_STATE_HOME": f"{home}/state",
        }
        print(f"1. a tool round ({options.calls} calls of the test server's echo, stdio)")
        bare = bare_calls(options.calls)
        print(f"   bare SDK call:        {summary(bare)}")
        through = round_calls(options.calls, environ)
        print(f"   streamcli tool round: {summary(through)}")
        added = statistics.median(through) - statistics.median(bare)
        print(f"   added by the round:   {ms(added)} (median difference; goal <= 5 ms)")

        print(f"\n2. start-up ({options.starts} starts each)")
        test = ServerEntry(
            "test", "stdio", command=sys.executable, args=(str(TEST_SERVER), "stdio")
        )
        clock = ServerEntry("time", "stdio", command=TIME_SERVER, args=("--local-timezone", "UTC"))
        alone_test = statistics.median(start_times([test], environ, options.starts))
        alone_time = statistics.median(start_times([clock], environ, options.starts))
        both = statistics.median(start_times([test, clock], environ, options.starts))
        print(f"   tests/servers/mcp_test alone: {ms(alone_test)}")
        print(f"   mcp-server-time alone:        {ms(alone_time)}")
        print(f"   both through one hub:         {ms(both)}")
        print(
            f"   slower alone {ms(max(alone_test, alone_time))}, sum {ms(alone_test + alone_time)}"
        )

        print(f"\n3. streamcli --version ({options.versions} runs each, median)")
        with_mcp = version_times(sys.executable, options.versions)
        print(f"   with the mcp extra ({sys.executable}): {summary(with_mcp)}")
        if options.without:
            if has_mcp(options.without):
                print(f"   {options.without} has mcp installed: not a baseline")
            else:
                without = version_times(options.without, options.versions)
                print(f"   without it ({options.without}): {summary(without)}")
        checks = []
        for _ in range(1000):
            started = time.perf_counter()
            wants_servers(None, environ)
            checks.append(time.perf_counter() - started)
        print(f"   a chat learning it has no servers (no mcp.json): {summary(checks)}")


if __name__ == "__main__":
    main()
