"""Time and peak RSS of `streamcli chat` whose MCP tool returns one big text result.

python benchmarks/mcp_big_result.py [SIZE_BYTES [TOOL]]   (50_000_000 flood_once)

A fake model server (tests/servers) asks for `test__TOOL` of tests/servers/mcp_test over
stdio, then answers; streamcli's own process is sampled for its peak RSS (VmHWM) while it
runs, so the MCP server's memory is not counted. `flood_once` sends the text once (a
message of SIZE bytes), `flood` twice (content and structured content: 2 x SIZE). Prints
wall time, peak RSS, and the start and length of the tool output the model got.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests"))
from chat_support import chat_env
from mcp_support import tools_server, write_config
from proc_support import peak_kib
from servers import FakeServer
from tool_protocols import OPENAI


def measure(size: int, tool: str) -> None:
    home = pathlib.Path(tempfile.mkdtemp())
    write_config(home, {"test": tools_server()})
    with FakeServer() as server:
        call = ("c1", f"test__{tool}", {"size": size})
        server.script(OPENAI.path, OPENAI.calls([call]), OPENAI.answer(["ok"]))
        env = chat_env(home, XDG_STATE_HOME=str(home / "state"), **OPENAI.env)
        argv = [sys.executable, "-m", "streamcli", "chat", "hi", "-m", "m", *OPENAI.args(server)]
        started = time.monotonic()
        with open(home / "out", "wb") as out_file, open(home / "err", "wb") as err_file:
            process = subprocess.Popen(
                [*argv, "--mcp", "test", "--approve", "--json"],
                stdout=out_file,
                stderr=err_file,
                env=env,
            )
            peak = 0
            while process.poll() is None:
                peak = max(peak, peak_kib(process.pid))
                time.sleep(0.02)
        elapsed = time.monotonic() - started
        out, err = (home / "out").read_bytes(), (home / "err").read_bytes()
    ends = [e for e in map(json.loads, out.splitlines()) if e.get("type") == "tool_end"]
    output = ends[0]["output"] if ends else ""
    status = process.returncode
    print(f"{tool} {size:,} B: {elapsed:.1f} s, peak RSS {peak / 1024:.0f} MiB, exit {status}")
    print(ends[0]["output"][:200] if ends else "")
    print(f"tool ok={ends[0]['ok'] if ends else None}, output the model got: {len(output):,} chars")
    if process.returncode != 0:
        print(err.decode(errors="replace")[-2000:])


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000_000
    measure(size, sys.argv[2] if len(sys.argv) > 2 else "flood_once")
