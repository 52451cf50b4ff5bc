"""Reading a 1,000,000-line log: `streamcli tail --no-follow -n +1 --json` against jq.

    .venv/bin/python benchmarks/tail_read.py [--lines N] [--runs N] [--before REF]

Both turn every line into a JSON object (jq: `jq -R -c '{text: .}'`), written to
/dev/null; the table shows the best of `--runs` wall-clock times and the ratio to jq
(target: at most 1.0x, aim 0.5x). Plain text output and GNU tail are shown for scale;
`--before REF` adds another commit's streamcli, in the same run.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STREAMCLI = [sys.executable, "-m", "streamcli"]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from checkouts import checkouts  # noqa: E402


def make_log(path: Path, lines: int) -> None:
    with open(path, "w") as file:
        for i in range(lines):
            file.write(
                f"2026-11-21T07:{i // 60 % 60:02d}:{i % 60:02d}Z INFO worker-{i % 17} "
                f"request id={i} path=/api/v1/items/{i * 7 % 1000} status=200 took={i % 97}ms\n"
            )


def best_time(argv: list[str], runs: int, options: dict[str, object]) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, check=True, **options)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before", metavar="REF", help="also run this commit's streamcli")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        log = Path(directory) / "app.log"
        make_log(log, args.lines)
        size = log.stat().st_size
        print(f"{args.lines:,} lines, {size / 1e6:.1f} MB, best of {args.runs}\n")
        read = ["tail", "--no-follow", "-n", "+1"]
        commands: dict[str, tuple[list[str], dict[str, object]]] = {
            "jq -R -c '{text: .}'": (["jq", "-R", "-c", "{text: .}", str(log)], {}),
        }
        for tree in checkouts(args.before):
            options = tree.run_options()
            commands[f"{tree.label} tail --no-follow -n +1 --json"] = (
                tree.argv(*read, "--json", str(log)),
                options,
            )
            commands[f"{tree.label} tail --no-follow -n +1 (text)"] = (
                tree.argv(*read, str(log)),
                options,
            )
        commands["GNU tail -n +1 (copies bytes)"] = (["tail", "-n", "+1", str(log)], {})
        commands["streamcli --version (start-up)"] = ([*STREAMCLI, "--version"], {})
        times = {}
        for name, (argv, options) in commands.items():
            if shutil.which(argv[0]) is None:
                print(f"{name}: {argv[0]} not installed")
                continue
            times[name] = best_time(argv, args.runs, options)
        baseline = times.get("jq -R -c '{text: .}'")
        print(f"{'command':52} {'seconds':>8} {'lines/s':>12} {'vs jq':>7}")
        for name, seconds in times.items():
            ratio = f"{seconds / baseline:.2f}x" if baseline else "-"
            rate = "-" if "start-up" in name else f"{args.lines / seconds:,.0f}"
            print(f"{name:52} {seconds:8.3f} {rate:>12} {ratio:>7}")


if __name__ == "__main__":
    main()
