"""The live page's cost in the browser: a 45 KB answer at 1,000 chunks a second through
the real `streamcli serve` into Chromium, the page against a naive baseline, in one run.

    python benchmarks/page_render.py [--size 45000] [--piece 3] [--rate 1000] [--runs 1]

An upstream with an exact schedule (`scheduled_sse_server.py --text`) sends the Markdown
answer of `terminal_render.py` (headings, paragraphs, lists, code, tables), `--piece`
characters a chunk, `--rate` chunks a second; `streamcli serve` (OpenAI provider, history
on) streams it to a headless Chromium (Debian's, through Playwright). Two ways of drawing:

- page: the live page as shipped — a question typed in the Message box; finished blocks
  rendered once on the server (`?render=html`), the live block redrawn once a frame;
- naive: the same page and stream, but every chunk re-renders the whole answer so far
  (what the web UIs complained about do: open-webui #3620), with the page's own live
  renderer (`static/js/live_markdown.js`: lighter than a full Markdown library with
  highlighting, so the baseline is a favourable one) over the plain event stream.

Measured from the question to the answer's last chunk drawn: the page's main thread's busy
time (Chrome's TaskDuration, through CDP: wall time of its tasks, so a task the machine
preempts counts in full) as a share of the wall time, the CPU time of the renderer and
GPU processes (CDP SystemInfo: what the machine really spent), script and layout+style
time, long tasks (over 50 ms, PerformanceObserver), frames drawn and the
longest gap between two (what a person sees as lag), and the time from the upstream's
last write to the final screen. The naive run is cut off after `--limit` seconds; it then
reports how many of the chunks it had drawn.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests"), str(HERE.parent / "tests/serve/page")]
from page_support import CHROMIUM, CHROMIUM_ARGS  # noqa: E402 (the page's tests launch it so)
from terminal_render import make_answer  # noqa: E402

WATCH = """() => {
  window.__bench = { long: [], frames: [] };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__bench.long.push(e.duration);
  }).observe({ type: "longtask" });
  const tick = (t) => { window.__bench.frames.push(t); requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  window.__bench.done = new Promise((resolve) => {
    const send = document.getElementById("send");
    const seen = new MutationObserver(() => {
      if (!send.hidden) {
        seen.disconnect();
        requestAnimationFrame(() => resolve(performance.now()));
      }
    });
    seen.observe(send, { attributes: true, attributeFilter: ["hidden"] });
  });
}"""

NAIVE = """async ({ prompt, limit }) => {
  const { serverEvents } = await import("/static/js/sse.js");
  const { liveNodes } = await import("/static/js/live_markdown.js");
  const transcript = document.getElementById("transcript");
  const box = transcript.appendChild(document.createElement("div"));
  box.className = "md";
  const controller = new AbortController();
  const started = performance.now();
  let text = "";
  let chunks = 0;
  let finished = true;
  try {
    const response = await fetch("/api/chat", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt }),
      signal: controller.signal,
    });
    for await (const { data } of serverEvents(response)) {
      if (data.type !== "text") continue;
      text += data.text;
      chunks += 1;
      box.replaceChildren(...liveNodes(text));  // the whole answer, every chunk
      transcript.scrollTop = transcript.scrollHeight;
      // (a timer could not fire: while chunks wait in the stream, this loop never yields)
      if (performance.now() - started > limit * 1000) {
        finished = false;
        controller.abort();
        break;
      }
    }
  } catch (error) {
    if (error.name !== "AbortError") throw error;
    finished = false;
  }
  const drawn = await new Promise((r) => requestAnimationFrame(() => r(performance.now())));
  return { chunks, finished, drawn };
}"""


@dataclass
class Result:
    how: str
    wall: float  # s, from the question to the last chunk drawn
    busy: float  # s of main-thread tasks (wall time: a preempted task counts)
    cpu: float  # s of CPU of the renderer process (all its threads)
    gpu: float  # s of CPU of the GPU process (compositing, rasterising without a GPU)
    script: float
    layout: float  # layout + style recalculation
    long_tasks: list[float]  # ms
    frames: int
    longest_gap: float  # ms between two frames
    final_delay: float  # s from the upstream's last write to the final screen
    chunks_drawn: int
    chunks_sent: int
    finished: bool


@contextlib.contextmanager
def upstream(answer: Path, piece: int, rate: float) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    server = subprocess.Popen(
        [sys.executable, str(HERE / "scheduled_sse_server.py"), "--ttft", "0.05",
         "--gap", str(1 / rate), "--text", str(answer), "--piece", str(piece)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert server.stdout is not None and server.stdin is not None
    port = server.stdout.readline().split()[1]
    try:
        yield f"http://127.0.0.1:{port}", server
    finally:
        server.stdin.close()
        server.stdout.read()  # its log of the writes, when nobody read it
        server.wait(10)


def last_writes(server: subprocess.Popen[str]) -> list[float]:
    """The epoch time of each request's last write (the server logs monotonic times, the
    same clock in every process here)."""
    assert server.stdin is not None and server.stdout is not None
    server.stdin.close()
    offset = time.time() - time.monotonic()
    return [orjson.loads(line)["writes"][-1] + offset for line in server.stdout if line.strip()]


@contextlib.contextmanager
def serving(base_url: str, home: Path) -> Iterator[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "STREAMCLI"))}
    env.update(
        OPENAI_API_KEY="sk-bench", XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"), XDG_STATE_HOME=str(home / "state"), NO_PROXY="*",
    )  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "streamcli", "serve", "--port", "0", "-p", "openai",
         "--base-url", base_url + "/v1", "-m", "m"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
        cwd=home,
    )  # fmt: skip
    assert process.stdout is not None
    line = process.stdout.readline().decode()
    found = re.search(r"(http://\S+/) ", line)
    if not found:
        process.kill()
        raise SystemExit(f"streamcli serve did not start: {line!r}")
    try:
        yield found.group(1)
    finally:
        process.terminate()
        process.wait(10)


def metrics(cdp: Any) -> dict[str, float]:
    return {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}


def process_cpu(browser_cdp: Any) -> dict[str, float]:
    """CPU seconds so far of Chromium's renderer and GPU (compositing) processes."""
    spent: dict[str, float] = {"renderer": 0.0, "GPU": 0.0}
    for process in browser_cdp.send("SystemInfo.getProcessInfo")["processInfo"]:
        if process["type"] in spent:
            spent[process["type"]] += process["cpuTime"]
    return spent


def measure(browser: Any, url: str, how: str, sent: int, limit: float) -> tuple[Result, float]:
    """One answer drawn the `how` way; the result, and the page's epoch ms at the end."""
    browser_cdp = browser.new_browser_cdp_session()
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        page.goto(url)
        page.wait_for_selector("#backend:not(:empty)")
        page.wait_for_load_state("networkidle")
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable")
        page.evaluate(WATCH)
        before = metrics(cdp)
        cpu_before = process_cpu(browser_cdp)
        started = page.evaluate("performance.now()")
        if how == "page":
            box = page.get_by_role("textbox", name="Message")
            box.fill("Write me a long answer")
            box.press("Enter")
            drawn = page.evaluate("window.__bench.done")
            stats = page.inner_text("#stats")
            found = re.search(r"\(([\d,]+) chunks\)", stats)
            chunks = int(found.group(1).replace(",", "")) if found else 0
            finished = True
        else:
            outcome = page.evaluate(NAIVE, {"prompt": "Write me a long answer", "limit": limit})
            drawn, chunks, finished = outcome["drawn"], outcome["chunks"], outcome["finished"]
        after = metrics(cdp)
        cpu_after = process_cpu(browser_cdp)
        watched = page.evaluate("window.__bench")
        origin = page.evaluate("performance.timeOrigin")
    finally:
        context.close()
    frames = [t for t in watched["frames"] if started <= t <= drawn]
    gaps = [b - a for a, b in itertools.pairwise(frames)] or [0.0]
    result = Result(
        how=how,
        wall=(drawn - started) / 1000,
        busy=after["TaskDuration"] - before["TaskDuration"],
        cpu=cpu_after["renderer"] - cpu_before["renderer"],
        gpu=cpu_after["GPU"] - cpu_before["GPU"],
        script=after["ScriptDuration"] - before["ScriptDuration"],
        layout=(after["LayoutDuration"] - before["LayoutDuration"])
        + (after["RecalcStyleDuration"] - before["RecalcStyleDuration"]),
        long_tasks=watched["long"],
        frames=len(frames),
        longest_gap=max(gaps),
        final_delay=0.0,
        chunks_drawn=chunks,
        chunks_sent=sent,
        finished=finished,
    )
    return result, (origin + drawn) / 1000


def show(results: list[Result]) -> None:
    header = (
        f"{'drawing':8} {'wall s':>7} {'busy s':>7} {'busy %':>7} {'cpu %':>6} {'gpu %':>6} "
        f"{'script s':>8} "
        f"{'layout s':>8} {'long tasks':>10} {'longest':>9} {'frames/s':>8} {'gap max':>8} "
        f"{'final':>7}  chunks drawn"
    )
    print(header)
    for r in results:
        longest = max(r.long_tasks, default=0.0)
        print(
            f"{r.how:8} {r.wall:7.2f} {r.busy:7.2f} {100 * r.busy / r.wall:6.1f}% "
            f"{100 * r.cpu / r.wall:5.1f}% {100 * r.gpu / r.wall:5.1f}% "
            f"{r.script:8.2f} {r.layout:8.2f} {len(r.long_tasks):10d} {longest:7.0f}ms "
            f"{r.frames / r.wall:8.1f} {r.longest_gap:6.0f}ms "
            f"{f'{r.final_delay:6.2f}s' if r.finished else '      -'}  "
            f"{r.chunks_drawn:,}/{r.chunks_sent:,}{'' if r.finished else ' (cut off)'}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=45000, help="characters of Markdown")
    parser.add_argument("--piece", type=int, default=3, help="characters per chunk")
    parser.add_argument("--rate", type=float, default=1000, help="chunks per second")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--limit", type=float, default=60, help="s before the naive run stops")
    parser.add_argument("--only", choices=["page", "naive"], help="draw one way only")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    answer = make_answer(args.size)
    sent = -(-len(answer) // args.piece)
    print(
        f"{len(answer):,} characters in {sent:,} chunks of {args.piece}, {args.rate:g} a second "
        f"(the stream lasts {sent / args.rate:.1f} s)"
    )
    ways = [args.only] if args.only else ["page", "naive"]
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as scratch:
        home = Path(scratch)
        text = home / "answer.md"
        text.write_text(answer, encoding="utf-8")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            print(f"Chromium {browser.version}")
            for _ in range(args.runs):
                for how in ways:
                    with upstream(text, args.piece, args.rate) as (base, server):
                        with serving(base, home) as url:
                            result, shown = measure(browser, url, how, sent, args.limit)
                        result.final_delay = shown - last_writes(server)[-1]
                    results.append(result)
            browser.close()
    show(results)
    if args.runs > 1:
        for how in ways:
            mine = [r for r in results if r.how == how]
            median = statistics.median(100 * r.busy / r.wall for r in mine)
            print(f"{how}: median busy {median:.1f}% of the main thread over {len(mine)} runs")


if __name__ == "__main__":
    main()
