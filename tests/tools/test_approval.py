"""The approval question asked before a tool runs (`tools.approval`)."""

from __future__ import annotations

from streamcli.tools import approval
from streamcli.tools.spec import Tool


def test_the_question_shows_the_call_sanitized():
    tool = Tool("deploy", "", command=("deploy", "--to", "prod\x1b[2J"), origin="/x/tools.toml")
    text = approval.question(tool, {"target": "web\u202e1", "n": 2})
    assert "\x1b" not in text and "\u202e" not in text
    assert "deploy --to 'prod\\x1b[2J'" in text
    assert '"target":"web\\u202e1"' in text
    assert text.endswith("Allow this call? [y/N] ")


def test_no_controlling_terminal_means_no_question(tmp_path):
    terminal, why = approval.Terminal.open(str(tmp_path / "not-a-tty"))
    assert terminal is None and why == approval.NO_TERMINAL
