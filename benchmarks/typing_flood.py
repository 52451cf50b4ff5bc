"""Typing a long input into an interactive `streamcli chat` session without bracketed
paste (issue 26: 100k characters took 36 s, growing quadratically), measured in a real pty
(tests/ptyterm.py) against a fake OpenAI-compatible server in this process.

    python benchmarks/typing_flood.py [--sizes 10000 50000 100000]
        [--chunk 4096] [--columns 80] [--before REF]

For every size N: N characters (words of ASCII letters) are written into the pty in
chunks of `--chunk` bytes, as a terminal without bracketed paste passes on a paste or
a person's typing that ran ahead; measured from the first byte written to
1. echoed: the input's last 40 characters on the screen (the line wrapped at `--columns`),
2. sent: then Enter, and the server having read the request, whose last message is
   checked to be exactly the N characters.
With `--before REF` (a commit of this repository), each size is measured with that
commit's streamcli too, side by side.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "interactive")]

from checkouts import checkouts  # noqa: E402
from ptyterm import PtyTerminal  # noqa: E402
from servers import FakeServer  # noqa: E402
from servers import openai as oa  # noqa: E402
from session_support import session_env  # noqa: E402

PROMPT = "m>"
TAIL = 40  # characters of the input's end looked for on the screen


def text_of(size: int) -> str:
    """`size` characters of words, the last ones numbered so that its end is unique."""
    words = itertools.cycle(["lorem", "ipsum", "dolor", "sit", "amet", "typed", "fast"])
    text = " ".join(itertools.islice(words, size // 4))[: size - TAIL]
    return text + "".join(f"{n:02d}" for n in range(TAIL // 2))[: size - len(text)]


def unwrapped(term: PtyTerminal, prefix: int) -> str:
    """The screen's rows joined, each without the prompt's width at its start."""
    with term._lock:
        return "".join(row[prefix:] for row in term.screen.display)


def measure(
    server: FakeServer, tree: Path, size: int, chunk: int, pause: float, columns: int
) -> tuple[float, float]:
    """Seconds from the first byte typed to the echo of the last one, and to the request."""
    text = text_of(size)
    args = ["chat", "-m", "m", "--base-url", server.url + "/v1"]
    before = len(server.received())
    home = Path(tempfile.mkdtemp(prefix="streamcli-bench-"))  # also its current directory,
    env = session_env(home, PYTHONPATH=str(tree))  # `python -m` imports from there first
    with PtyTerminal(args, env=env, columns=columns, rows=24, cwd=str(home)) as term:
        term.screen.write_process_input = lambda data: os.write(term._master, data.encode())
        term.wait_for(lambda t: t.display()[t.screen.cursor.y] == PROMPT, what="the prompt")
        time.sleep(0.5)  # the session settles (history, warm-up thread)
        data = text.encode()
        started = time.monotonic()
        for start in range(0, len(data), chunk):
            view = memoryview(data)[start : start + chunk]
            while view:
                view = view[os.write(term._master, view) :]
            if pause:
                time.sleep(pause)
        prefix = len(PROMPT) + 1
        term.wait_for(
            lambda t: text[-TAIL:] in unwrapped(t, prefix),
            float(os.environ.get("ECHO_WAIT", "600")),
            "the echo",
        )
        echoed = time.monotonic() - started
        term.write(b"\r")
        if not server.wait_for(lambda: len(server.requests) > before, timeout=600):
            raise SystemExit(f"{tree}: no request after Enter; screen:\n" + term.text())
        sent = time.monotonic() - started
        term.write(b"\x04")
        term.wait_exit()
    message = server.received()[before].json()["messages"][-1]["content"]
    if message != text:
        raise SystemExit(f"{tree}: the message sent differs from what was typed ({size})")
    return echoed, sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 100_000])
    parser.add_argument("--chunk", type=int, default=4096)
    parser.add_argument("--pause", type=float, default=0.0, help="seconds between chunks")
    parser.add_argument("--columns", type=int, default=80)
    parser.add_argument("--before", metavar="REF", help="also this commit's streamcli")
    options = parser.parse_args()
    trees = [(checkout.label, checkout.path) for checkout in checkouts(options.before)]
    print(f"{'characters':>10}  {'code':<10} {'echoed':>9} {'sent':>9}")
    with FakeServer() as server:
        server.route(oa.PATH, oa.stream(["ok"]), method="POST")
        for size in options.sizes:
            for name, tree in trees:
                echoed, sent = measure(
                    server, tree, size, options.chunk, options.pause, options.columns
                )
                print(f"{size:>10}  {name:<10} {echoed:>8.2f}s {sent:>8.2f}s", flush=True)


if __name__ == "__main__":
    main()
