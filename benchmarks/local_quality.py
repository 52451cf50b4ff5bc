"""How often the bundled model answers simple factual questions right.

    python benchmarks/local_quality.py [--baseline DIR] [--runs 3]

Twenty short questions, each with the keywords a right answer contains, asked with
`streamcli chat --provider local --json` (the bundled Gemma 3 270M, a base model). The
score is the number of answers that contain their keyword. With `--baseline DIR` (a
checkout of an earlier streamcli, e.g. `git worktree add /tmp/before 19e3853`), the same
questions go to it too, alternating question by question, so both are measured in one run
on the same machine. A sampling configuration varies run to run: `--runs` repeats the
questions and reports each run's score. Also printed: the answers' mean length in tokens
and the longest answer's time, since a runaway answer is a failure too.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import orjson

QUESTIONS = [
    ("What is the capital of France?", r"paris"),
    ("What is the capital of Japan?", r"tokyo"),
    ("What is the capital of Italy?", r"rome"),
    ("What is the capital of Germany?", r"berlin"),
    ("What is the capital of the United Kingdom?", r"london"),
    ("How many days are in a week?", r"\b7\b|seven"),
    ("What color is the sky on a clear day?", r"blue"),
    ("What is 2 + 2?", r"\b4\b|four"),
    ("Who wrote Romeo and Juliet?", r"shakespeare"),
    ("What is the largest planet in the solar system?", r"jupiter"),
    ("What is the chemical symbol for water?", r"h2o|h₂o"),
    ("What language is spoken in Spain?", r"spanish"),
    ("How many legs does a spider have?", r"\b8\b|eight"),
    ("What is the freezing point of water in Celsius?", r"\b0\b|zero"),
    ("What is the opposite of hot?", r"cold"),
    ("Which animal is known as the king of the jungle?", r"lion"),
    ("How many continents are there?", r"\b7\b|seven"),
    ("What gas do plants absorb from the air?", r"carbon dioxide|co2"),
    ("What is the tallest mountain in the world?", r"everest"),
    ("Who painted the Mona Lisa?", r"leonardo|vinci"),
]


@dataclass
class Score:
    """One checkout's answers in one run."""

    right: int = 0
    tokens: list[int] = field(default_factory=list)
    longest_ms: float = 0.0
    wrong: list[str] = field(default_factory=list)


def ask(checkout: Path, question: str, data_home: str) -> tuple[str, int, float]:
    """The answer's text, its length in tokens and its duration, from `checkout`'s code."""
    env = dict(os.environ, PYTHONPATH=str(checkout), XDG_DATA_HOME=data_home)
    command = [sys.executable, "-m", "streamcli", "chat", "--provider", "local", "--json"]
    done = subprocess.run(
        [*command, question], cwd=checkout, env=env, capture_output=True, timeout=300
    )
    text, tokens, duration = [], 0, 0.0
    for line in done.stdout.splitlines():
        event = orjson.loads(line)
        if event["type"] == "text":
            text.append(event["text"])
        elif event["type"] == "end":
            tokens = (event.get("usage") or {}).get("output_tokens", 0)
            duration = event.get("duration_ms", 0.0)
    return "".join(text), tokens, duration


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="a checkout of an earlier streamcli")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    here = Path(__file__).resolve().parent.parent
    checkouts = {"this": here}
    if args.baseline:
        checkouts = {"baseline": args.baseline.resolve(), **checkouts}
    with tempfile.TemporaryDirectory() as data_home:
        for run in range(1, args.runs + 1):
            scores = {name: Score() for name in checkouts}
            for question, keyword in QUESTIONS:
                for name, checkout in checkouts.items():
                    answer, tokens, duration = ask(checkout, question, data_home)
                    score = scores[name]
                    if re.search(keyword, answer.lower()):
                        score.right += 1
                    else:
                        score.wrong.append(f"{question} -> {answer.strip()[:70]!r}")
                    score.tokens.append(tokens)
                    score.longest_ms = max(score.longest_ms, duration)
            for name, score in scores.items():
                mean = sum(score.tokens) / len(score.tokens)
                print(
                    f"run {run} {name:>8}: {score.right}/{len(QUESTIONS)} right, "
                    f"answers {mean:.0f} tokens on average, longest {score.longest_ms:.0f} ms"
                )
                for wrong in score.wrong:
                    print(f"    wrong: {wrong}")


if __name__ == "__main__":
    main()
