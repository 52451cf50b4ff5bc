"""Which streamcli a benchmark runs: this checkout, and another commit for a "before" row.

`--before REF` in a benchmark exports REF (`git archive`) into a temporary directory and
runs it next to this checkout in the same run, so a change is measured against what it
replaces under the same load.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Checkout:
    """A streamcli source tree and the label its rows get."""

    label: str
    path: Path

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "streamcli", *args]

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """`base` (default: this process's environment) with this tree first on the path."""
        env = dict(os.environ if base is None else base)
        env["PYTHONPATH"] = str(self.path)
        return env

    def run_options(self, base: dict[str, str] | None = None) -> dict[str, object]:
        """`subprocess` keyword arguments that make `python -m streamcli` this tree's."""
        return {"cwd": self.path, "env": self.env(base)}


def export(ref: str) -> Checkout:
    """REF of this repository as a tree of its own (removed when the benchmark exits)."""
    directory = Path(tempfile.mkdtemp(prefix="streamcli-before-"))
    atexit.register(shutil.rmtree, directory, True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(directory)], input=archive, check=True)
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", ref],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return Checkout(f"before ({commit})", directory)


def checkouts(before: str | None) -> list[Checkout]:
    """This checkout, then REF's export if asked for."""
    this = [Checkout("streamcli", ROOT)]
    return this if before is None else [*this, export(before)]
