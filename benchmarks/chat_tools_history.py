"""What tools and history cost `streamcli chat`, side by side with baselines, in one run.

    .venv/bin/python benchmarks/chat_tools_history.py [--runs 20]

1. History: a whole `streamcli chat "hi" --json` process against a local fake server,
   with the history on (the default: the database opened, and written as the stream
   starts and as it ends, in a thread of its own) and with `--no-history`, runs
   interleaved; the median wall time of each, and the time to the first byte of output.
2. A round of tool calls: from the server's last byte of the reply that asks for a tool to
   the arrival of the request that carries the result (checking the call, running it,
   building the next request), for a built-in tool (`time`) and a user tool (`true`, a
   new process, `--approve`), next to spawning `true` with `subprocess.run` in Python.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from servers import FakeServer  # noqa: E402
from servers import openai as oa  # noqa: E402

STREAMCLI = [sys.executable, "-m", "streamcli", "chat"]


def environment(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "ANTHROPIC_", "OLLAMA_", "STREAMCLI_"))
        and "PROXY" not in k.upper()
    }
    env.update(
        NO_PROXY="*",
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        OPENAI_API_KEY="sk-bench-0123456789",
    )
    return env


def one_chat(server: FakeServer, env: dict[str, str], *extra: str) -> tuple[float, float]:
    """(wall seconds of the process, seconds to the first byte on stdout)."""
    server.script(oa.PATH, oa.stream(["Hello", " there", "."]))
    started = time.perf_counter()
    process = subprocess.Popen(
        [*STREAMCLI, "hi", "-m", "m", "--base-url", server.url + "/v1", "--json", *extra],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert process.stdout is not None
    process.stdout.read(1)
    first = time.perf_counter() - started
    process.communicate()
    assert process.returncode == 0
    return time.perf_counter() - started, first


def history_cost(runs: int, home: Path) -> None:
    with FakeServer() as server:
        env = environment(home)
        one_chat(server, env)  # warm the caches
        with_history, without = [], []
        for _ in range(runs):
            with_history.append(one_chat(server, env))
            without.append(one_chat(server, env, "--no-history"))
    print(f"\n1. a whole chat process, {runs} runs each (median)")
    print(f"   {'':22} {'wall':>9} {'first byte':>11}")
    for label, samples in (("history on", with_history), ("--no-history", without)):
        wall = statistics.median(s[0] for s in samples) * 1000
        first = statistics.median(s[1] for s in samples) * 1000
        print(f"   {label:22} {wall:7.1f} ms {first:8.1f} ms")


def round_overhead(server: FakeServer, env: dict[str, str], tool: str, *extra: str) -> float:
    """Seconds from the last byte of the tool-call reply to the next request's arrival."""
    before = len(server.received(oa.PATH))
    server.script(oa.PATH, oa.tool_calls([("c", tool, {})]), oa.stream(["ok"]))
    subprocess.run(
        [*STREAMCLI, "go", "-m", "m", "--base-url", server.url + "/v1", "--json",
         "--no-history", "--tool", tool, *extra],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=env, check=True,
    )  # fmt: skip
    asked, answered = server.received(oa.PATH)[before : before + 2]
    return answered.at - asked.writes[-1][0]


def tool_rounds(runs: int, home: Path) -> None:
    config = home / "config" / "streamcli"
    config.mkdir(parents=True, exist_ok=True)
    (config / "tools.toml").write_text('[nothing]\ncommand = ["true"]\n')
    env = environment(home)
    with FakeServer() as server:
        round_overhead(server, env, "time")
        builtin = [round_overhead(server, env, "time") for _ in range(runs)]
        user = [round_overhead(server, env, "nothing", "--approve") for _ in range(runs)]
    spawn = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(["true"], check=True)
        spawn.append(time.perf_counter() - started)
    print(f"\n2. one round of tool calls, {runs} runs each")
    print(f"   {'':40} {'median':>9} {'p90':>9}")
    for label, samples in (
        ("built-in tool `time`", builtin),
        ("user tool `true` (a process)", user),
        ("baseline: subprocess.run(['true'])", spawn),
    ):
        ordered = sorted(samples)
        p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
        print(f"   {label:40} {statistics.median(samples) * 1000:6.2f} ms {p90 * 1000:6.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        history_cost(args.runs, Path(home))
        tool_rounds(args.runs, Path(home))


if __name__ == "__main__":
    main()
