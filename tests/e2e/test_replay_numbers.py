"""Times that overflow never become `null`: an asciicast v3 whose intervals add up past the
largest float, or a plain-text `--delay` that does, is refused with one line naming the
line (or the flag); what `--json` writes always replays (#26, item 12)."""

from __future__ import annotations

import math
import re

import orjson
import pytest
from conftest import run_cli

V3 = '{"version": 3, "term": {"cols": 80, "rows": 24}}\n'
NOT_FINITE = re.compile(rb"\bnull\b|Infinity|NaN")


def _finite_times(stdout: bytes) -> list[dict]:
    """The events written, each checked: every number finite, no `null` anywhere."""
    assert not NOT_FINITE.search(stdout), stdout
    out = [orjson.loads(line) for line in stdout.splitlines()]
    for event in out:
        assert all(math.isfinite(v) for v in event.values() if isinstance(v, float)), event
    return out


def test_v3_intervals_that_overflow_stop_at_the_line_that_does(tmp_path):
    path = tmp_path / "overflow.cast"
    path.write_text(V3 + '[1e308, "o", "a"]\n[1e308, "o", "b"]\n[1, "o", "c"]\n')
    result = run_cli("replay", "--json", "--speed", "0", str(path))
    assert result.returncode == 2
    stderr = result.stderr.decode()
    assert "line 3: the event time overflows" in stderr and "Traceback" not in stderr
    out = _finite_times(result.stdout)
    assert [e["text"] for e in out if e["type"] == "text"] == ["a"]  # what came before


def test_lenient_skips_the_overflowing_line_and_the_output_replays(tmp_path):
    path = tmp_path / "overflow.cast"
    path.write_text(V3 + '[1e308, "o", "a"]\n[1e308, "o", "b"]\n[1, "o", "c"]\n')
    result = run_cli("replay", "--json", "--lenient", "--speed", "0", str(path))
    assert result.returncode == 0, result.stderr
    out = _finite_times(result.stdout)
    assert [e["text"] for e in out if e["type"] == "text"] == ["a", "c"]
    assert any("line 3 skipped" in e.get("message", "") for e in out)
    again = run_cli("replay", "--json", "--speed", "0", "-", input=result.stdout)
    assert again.returncode == 0, again.stderr
    assert _finite_times(again.stdout) == out


@pytest.mark.parametrize("delay", ["inf", "1e308"])
def test_a_plain_text_delay_whose_times_would_overflow_is_refused(tmp_path, delay):
    """--delay has a finite range (options.py), so a plain text's times never overflow."""
    path = tmp_path / "text.txt"
    path.write_text("x" * 4000)
    result = run_cli("replay", "--json", "--speed", "0", "--chunk-size", "1", "--delay", delay,
                     str(path))  # fmt: skip
    stderr = result.stderr.decode()
    assert result.returncode == 2, stderr
    assert "'--delay'" in stderr and "from 0 to" in stderr and "Traceback" not in stderr
    _finite_times(result.stdout)
