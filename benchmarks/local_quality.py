"""The bundled model side by side in two checkouts: answers right, speed, memory.

    python benchmarks/local_quality.py [--baseline DIR] [--runs 1] [--kinds facts,arithmetic]

Forty short questions of five kinds (facts, arithmetic, words, reasoning, units), each with
a pattern a right answer matches, asked with `streamcli chat --provider local --json`
(the bundled Gemma 3 270M, a base model, greedy). With `--baseline DIR` (a checkout of an
earlier streamcli, e.g. `git worktree add /tmp/before REF`; its binding — llama-cpp-python
or xllamacpp — must be installed in this Python too), every question goes to both,
alternating, so both are measured in one run on the same machine. Per checkout: the
answers right per kind, and the medians of

- launch → first token: from starting the process to the first `text` line on its stdout
  (the model already in the cache: Python's start, the imports, the load, the prompt);
- load_ms and ttft_ms from the `end` event (ttft from the request, after the load);
- decode rate: (output tokens − 1) / (duration − ttft);
- peak memory: the process's maximum resident set (wait4's ru_maxrss).

Also: how many answers are the same text in both checkouts.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import orjson

QUESTIONS: dict[str, list[tuple[str, str]]] = {
    "facts": [
        ("What is the capital of France?", r"paris"),
        ("What is the capital of Japan?", r"tokyo"),
        ("What is the capital of Italy?", r"rome"),
        ("What is the capital of Germany?", r"berlin"),
        ("What is the capital of the United Kingdom?", r"london"),
        ("What color is the sky on a clear day?", r"blue"),
        ("Who wrote Romeo and Juliet?", r"shakespeare"),
        ("What is the largest planet in the solar system?", r"jupiter"),
        ("What is the chemical symbol for water?", r"h2o|h₂o"),
        ("What language is spoken in Spain?", r"spanish"),
        ("How many legs does a spider have?", r"\b8\b|eight"),
        ("What is the freezing point of water in Celsius?", r"\b0\b|zero"),
        ("Which animal is known as the king of the jungle?", r"lion"),
        ("How many continents are there?", r"\b7\b|seven"),
        ("What gas do plants absorb from the air?", r"carbon dioxide|co2"),
        ("What is the tallest mountain in the world?", r"everest"),
        ("Who painted the Mona Lisa?", r"leonardo|vinci"),
    ],
    "arithmetic": [
        ("What is 2 + 2?", r"\b4\b|four"),
        ("What is 17 + 25?", r"\b42\b"),
        ("What is 9 times 6?", r"\b54\b"),
        ("What is 100 minus 37?", r"\b63\b"),
        ("What is 12 divided by 3?", r"\b4\b|four"),
        ("What is 15 + 15?", r"\b30\b|thirty"),
        ("What is 8 times 7?", r"\b56\b"),
        ("What is half of 50?", r"\b25\b"),
    ],
    "words": [
        ("What is the opposite of hot?", r"cold"),
        ("What is the plural of mouse?", r"mice"),
        ("What is the opposite of up?", r"down"),
        ("Spell the word cat backwards.", r"\btac\b|t-a-c"),
        ("What is the past tense of run?", r"\bran\b"),
    ],
    "reasoning": [
        ("Which is bigger, an elephant or a mouse?", r"elephant"),
        ("If today is Monday, what day is tomorrow?", r"tuesday"),
        ("Is the sun a star?", r"\byes\b|is a star"),
        ("Which is heavier, a kilogram of iron or a kilogram of feathers?", r"same|equal|neither"),
        ("What comes next: 2, 4, 6, 8?", r"\b10\b|ten"),
    ],
    "units": [
        ("How many days are in a week?", r"\b7\b|seven"),
        ("How many minutes are in an hour?", r"\b60\b|sixty"),
        ("How many centimeters are in a meter?", r"\b100\b|hundred"),
        ("How many months are in a year?", r"\b12\b|twelve"),
        ("How many seconds are in a minute?", r"\b60\b|sixty"),
    ],
}


@dataclass
class Answer:
    """One question asked of one checkout."""

    text: str = ""
    launch_to_first_ms: float | None = None
    load_ms: float | None = None
    ttft_ms: float | None = None
    decode_tps: float | None = None
    output_tokens: int = 0
    duration_ms: float = 0.0
    peak_mb: float = 0.0


@dataclass
class Score:
    """One checkout's answers in one run."""

    right: dict[str, int] = field(default_factory=dict)
    answers: dict[str, Answer] = field(default_factory=dict)
    wrong: list[str] = field(default_factory=list)


def ask(checkout: Path, question: str, env: dict[str, str]) -> Answer:
    """Ask `checkout`'s streamcli; time it from launch to its first token."""
    command = [sys.executable, "-m", "streamcli", "chat", "--provider", "local", "--json"]
    launched = time.monotonic()
    process = subprocess.Popen(
        [*command, question],
        cwd=checkout,
        env={**env, "PYTHONPATH": str(checkout)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    answer, texts = Answer(), []
    assert process.stdout is not None
    for line in process.stdout:
        event = orjson.loads(line)
        if event["type"] == "text":
            if answer.launch_to_first_ms is None:
                answer.launch_to_first_ms = (time.monotonic() - launched) * 1000
            texts.append(event["text"])
        elif event["type"] == "end":
            answer.output_tokens = (event.get("usage") or {}).get("output_tokens", 0)
            answer.duration_ms = event.get("duration_ms", 0.0)
            answer.load_ms = event.get("load_ms")
            answer.ttft_ms = event.get("ttft_ms")
    _, _, usage = os.wait4(process.pid, 0)
    process.returncode = 0
    answer.peak_mb = usage.ru_maxrss / 1024
    answer.text = "".join(texts).strip()
    decoding = answer.duration_ms - (answer.ttft_ms or 0)
    if answer.ttft_ms is not None and answer.output_tokens > 1 and decoding > 0:
        answer.decode_tps = (answer.output_tokens - 1) / decoding * 1000
    return answer


def binding(checkout: Path) -> str:
    """The llama.cpp binding `checkout`'s local extra installs."""
    text = (checkout / "pyproject.toml").read_text()
    return "xllamacpp" if "xllamacpp" in text else "llama-cpp-python"


def median(values: list[float | None]) -> str:
    present = [v for v in values if v is not None]
    return f"{statistics.median(present):.0f}" if present else "-"


def report(name: str, checkout: Path, score: Score, kinds: list[str]) -> None:
    answers = list(score.answers.values())
    total = sum(len(QUESTIONS[k]) for k in kinds)
    per_kind = ", ".join(f"{k} {score.right[k]}/{len(QUESTIONS[k])}" for k in kinds)
    print(f"{name} ({binding(checkout)}): {sum(score.right.values())}/{total} right ({per_kind})")
    print(
        f"    medians: launch→first token {median([a.launch_to_first_ms for a in answers])} ms, "
        f"load {median([a.load_ms for a in answers])} ms, "
        f"ttft {median([a.ttft_ms for a in answers])} ms, "
        f"decode {median([a.decode_tps for a in answers])} tokens/s, "
        f"peak memory {median([a.peak_mb for a in answers])} MB; "
        f"answers {median([a.output_tokens for a in answers])} tokens"
    )
    for wrong in score.wrong:
        print(f"    wrong: {wrong}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="a checkout of an earlier streamcli")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--kinds", default=",".join(QUESTIONS), help="which kinds to ask")
    args = parser.parse_args()
    kinds = args.kinds.split(",")
    here = Path(__file__).resolve().parent.parent
    checkouts = {"this": here}
    if args.baseline:
        checkouts = {"baseline": args.baseline.resolve(), **checkouts}
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the start")
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, XDG_DATA_HOME=home, XDG_CONFIG_HOME=home)
        env.setdefault("XDG_CACHE_HOME", os.path.join(home, "cache"))
        for checkout in checkouts.values():  # the model into the cache and the page cache
            ask(checkout, "Hi.", env)
        for run in range(1, args.runs + 1):
            scores = {name: Score(right=dict.fromkeys(kinds, 0)) for name in checkouts}
            for kind in kinds:
                for question, pattern in QUESTIONS[kind]:
                    for name, checkout in checkouts.items():
                        answer = ask(checkout, question, env)
                        score = scores[name]
                        score.answers[question] = answer
                        if re.search(pattern, answer.text.lower()):
                            score.right[kind] += 1
                        else:
                            score.wrong.append(f"[{kind}] {question} -> {answer.text[:70]!r}")
            print(f"run {run}, load average {os.getloadavg()[0]:.2f} at its end")
            for name, score in scores.items():
                report(name, checkouts[name], score, kinds)
            if len(scores) == 2:
                first, second = scores.values()
                same = sum(first.answers[q].text == second.answers[q].text for q in first.answers)
                print(f"    the same answer in both: {same}/{len(first.answers)}")


if __name__ == "__main__":
    main()
