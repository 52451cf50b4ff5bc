"""The cost of a turn in an interactive `streamcli chat` session (issue 15), measured in a
real pty (tests/ptyterm.py) against a fake OpenAI-compatible server in this process.

    /work/venv/bin/python benchmarks/interactive_turns.py [--turns 30] [--runs 10]

1. Enter → request on the wire: from writing Enter to the pty to the server (in a process
   of its own) having read the whole request (both `time.monotonic`, one clock for every
   process), for every turn
   of a session of `--turns` questions; the first turn apart (typed a second after the
   prompt appeared, while the session warms up: imports, the HTTP client; its request
   also opens the connection the later turns reuse). Goal: ≤ 5 ms.
2. Time to first token as the user sees it: a session's second turn, from Enter to the
   answer's first word on the screen, next to a one-shot `streamcli chat QUESTION`, from
   starting the process to the same word on the screen; `--runs` each, the same instant
   answer. Goal: the session's lower by at least the one-shot's start-up time
   (`streamcli --version` in a pty, measured too).
3. Ctrl-C during an answer: from writing Ctrl-C to the pty to the server seeing the
   connection closed (it looks every 20 ms), and to the prompt back on the screen.
   Goal: ≤ 200 ms. With `--local` (the `local` extra installed), the same for the bundled
   model counting in this process: Ctrl-C → the prompt again, its generation stopped.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from ptyterm import PtyTerminal  # noqa: E402
from servers import FakeServer  # noqa: E402
from servers import openai as oa  # noqa: E402
from servers.http import Hang  # noqa: E402

ANSWER = "Answered"
THINK = 1.0  # seconds before the first question: a person reads the prompt, then types
PROMPT = "m>"


def environment() -> dict[str, str]:
    home = Path(tempfile.mkdtemp(prefix="streamcli-bench-"))
    return {
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "OPENAI_API_KEY": "sk-bench",
        "NO_PROXY": "*",
        "PYTHONPATH": str(ROOT),
        **{name: "" for name in ("OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "OLLAMA_HOST")},
    }


def terminal(args: list[str], env: dict[str, str]) -> PtyTerminal:
    term = PtyTerminal(args, env=env, columns=100, rows=40)
    # Answer cursor-position requests as a real terminal does (prompt_toolkit asks).
    term.screen.write_process_input = lambda data: os.write(term._master, data.encode())
    return term


def at_prompt(term: PtyTerminal, count: int, prompt: str = PROMPT) -> None:
    term.wait_for(
        lambda t: (
            sum(1 for row in t.lines() if row.startswith(prompt)) >= count
            and t.display()[t.screen.cursor.y] == prompt
        ),
        what=f"prompt {count}",
    )


def answers_seen(term: PtyTerminal) -> int:
    return term.text().count(ANSWER)


def serve_elsewhere(pipe: Connection) -> None:
    """The fake server in a process of its own (so that drawing the pty's screen here
    cannot delay its reading): sends its URL, then the arrival time of every request."""
    with FakeServer() as server:
        server.route(oa.PATH, oa.stream([ANSWER, " quickly."]), method="POST")
        pipe.send(server.url)
        seen = 0
        while True:
            server.wait_for(lambda n=seen: len(server.requests) > n, timeout=3600)
            for request in server.received()[seen:]:
                pipe.send(request.at)
                seen += 1


def session_turns(turns: int) -> tuple[list[float], list[float]]:
    """Enter → request on the wire and Enter → first word on screen, per turn (ms)."""
    ours, theirs = multiprocessing.get_context("fork").Pipe()
    serving = multiprocessing.get_context("fork").Process(
        target=serve_elsewhere, args=(theirs,), daemon=True
    )
    serving.start()
    url = ours.recv()
    wire: list[float] = []
    screen: list[float] = []
    args = ["chat", "-m", "m", "--base-url", url + "/v1"]
    with terminal(args, environment()) as term:
        at_prompt(term, 1)
        time.sleep(THINK)
        for turn in range(turns):
            term.write(f"question {turn}".encode())
            term.wait_for_text(f"m> question {turn}")
            entered = time.monotonic()
            term.write(b"\r")
            term.wait_for(lambda t, n=turn: answers_seen(t) > n, what="the answer")
            shown = time.monotonic()
            arrived = ours.recv()
            wire.append((arrived - entered) * 1000)
            screen.append((shown - entered) * 1000)
            at_prompt(term, turn + 2)
        term.write(b"\x04")
        term.wait_exit()
    serving.kill()
    return wire, screen


def interruptions(server: FakeServer, count: int) -> tuple[list[float], list[float]]:
    """Ctrl-C → connection closed, and Ctrl-C → the prompt again, per answer (ms)."""
    hanging = oa.sse([*oa.stream_body([ANSWER], finish=None, usage=None, done=False), Hang()])
    server.route(oa.PATH, hanging, method="POST")
    closed: list[float] = []
    back: list[float] = []
    args = ["chat", "-m", "m", "--base-url", server.url + "/v1"]
    with terminal(args, environment()) as term:
        at_prompt(term, 1)
        time.sleep(THINK)
        for turn in range(count):
            before = len(server.received(oa.PATH))
            term.write(f"question {turn}\r".encode())
            term.wait_for(lambda t, n=turn: answers_seen(t) > n, what="the answer")
            request = server.received(oa.PATH)[before]
            pressed = time.monotonic()
            term.write(b"\x03")
            request.client_gone.wait(10)
            closed.append((time.monotonic() - pressed) * 1000)
            at_prompt(term, turn + 2)
            back.append((time.monotonic() - pressed) * 1000)
        term.write(b"\x04")
        term.wait_exit()
    return closed, back


def local_interruptions(count: int) -> list[float]:
    """Ctrl-C → the prompt again while the bundled model writes in-process (ms); only
    answers really cut short (marked interrupted) count."""
    from streamcli.sources.chat.local.bundled import NAME

    prompt = f"{NAME}>"
    args = ["chat", "-p", "local", "--temperature", "0", "--max-tokens", "4000"]
    back: list[float] = []
    with terminal(args, environment()) as term:  # the model: in the user's cache
        at_prompt(term, 1, prompt)
        for turn in range(count):
            term.write(b"Write a long story about a cat who sails around the world.\r")
            term.wait_for(lambda t: len(t.text().rstrip().splitlines()[-1]) > 40, what="text")
            pressed = time.monotonic()
            term.write(b"\x03")
            at_prompt(term, 2 * turn + 2, prompt)
            back.append((time.monotonic() - pressed) * 1000)
            term.wait_for(lambda t, n=turn: t.text().count("(interrupted)") > n, what="cut")
            term.write(b"/clear\r")  # the same question afresh each time
            at_prompt(term, 2 * turn + 3, prompt)
        term.write(b"\x04")
        term.wait_exit()
    return back


def one_shot(server: FakeServer, runs: int) -> list[float]:
    """Process start → first word on screen of `streamcli chat QUESTION` (ms)."""
    server.route(oa.PATH, oa.stream([ANSWER, " quickly."]), method="POST")
    times = []
    for _ in range(runs):
        started = time.monotonic()
        args = ["chat", "-m", "m", "--base-url", server.url + "/v1", "question"]
        with terminal(args, environment()) as term:
            term.wait_for_text(ANSWER)
            times.append((time.monotonic() - started) * 1000)
            term.wait_exit()
    return times


def start_up(runs: int) -> list[float]:
    """`streamcli --version` in a pty, start to exit (ms)."""
    times = []
    for _ in range(runs):
        started = time.monotonic()
        with terminal(["--version"], environment()) as term:
            term.wait_exit()
            times.append((time.monotonic() - started) * 1000)
    return times


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return (
        f"median {statistics.median(values):7.2f} ms   p90 {p90:7.2f} ms   "
        f"min {ordered[0]:7.2f}   max {ordered[-1]:7.2f}   (n={len(values)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=30)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--local", action="store_true", help="also Ctrl-C with the local model")
    options = parser.parse_args()
    with FakeServer() as server:
        wire, screen = [], []
        for _ in range(max(1, options.runs // 5)):  # a few sessions: first turns apart
            w, s = session_turns(options.turns)
            wire.append(w)
            screen.append(s)
        firsts = [w[0] for w in wire]
        later = [x for w in wire for x in w[1:]]
        print("1. Enter → request on the wire")
        print(f"   first turn of a session   {summary(firsts)}")
        print(f"   later turns               {summary(later)}")
        seconds = [s[1] for s in screen]
        later_screen = [x for s in screen for x in s[1:]]
        shot = one_shot(server, options.runs)
        boot = start_up(options.runs)
        print("2. Time to the first word on screen")
        print(f"   session, second turn      {summary(seconds)}")
        print(f"   session, every later turn {summary(later_screen)}")
        print(f"   one-shot chat QUESTION    {summary(shot)}")
        print(f"   start-up (--version)      {summary(boot)}")
        gain = statistics.median(shot) - statistics.median(later_screen)
        print(
            f"   the session's turn is {gain:.1f} ms faster than a one-shot chat "
            f"(start-up alone: {statistics.median(boot):.1f} ms)"
        )
        closed, back = interruptions(server, options.runs)
        print("3. Ctrl-C during an answer")
        print(f"   → connection closed       {summary(closed)}")
        print(f"   → the prompt again        {summary(back)}")
        if options.local:
            print(f"   local model: → the prompt {summary(local_interruptions(options.runs))}")


if __name__ == "__main__":
    main()
