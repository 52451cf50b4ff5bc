"""The approval question asked before a tool runs (`tools.approval`)."""

from __future__ import annotations

import sys
import threading

from streamcli.tools import approval
from streamcli.tools.approval import Allow, Deny
from streamcli.tools.call import ToolCall
from streamcli.tools.spec import Tool
from streamcli.tools.toolbox import Toolbox
from streamcli.tools.usertools import Command


def test_the_question_shows_the_call_sanitized():
    tool = Tool(
        "deploy", "", runner=Command(("deploy", "--to", "prod\x1b[2J")), origin="/x/tools.toml"
    )
    text = approval.question(tool, {"target": "web\u202e1", "n": 2})
    assert "\x1b" not in text and "\u202e" not in text
    assert "deploy --to 'prod\\x1b[2J'" in text
    assert '"target":"web\\u202e1"' in text
    assert text.endswith("Allow this call? [y/N] ")


def test_no_controlling_terminal_means_no_question(tmp_path):
    terminal, why = approval.Terminal.open(str(tmp_path / "not-a-tty"))
    assert terminal is None and why == approval.NO_TERMINAL


class Asking:
    """An approver that answers from a list and notes what it was asked."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.asked = []

    def approve(self, tool, arguments, stop):
        self.asked.append((tool.name, arguments))
        return self.answers.pop(0)


def _round(toolbox, calls):
    from streamcli.tools.round import run_round

    return [e for batch in run_round(calls, toolbox, lambda: 0.0, threading.Event()) for e in batch]


def _toolbox(approver):
    runner = Command((sys.executable, "-c", "print('ran')"))
    return Toolbox({"deploy": Tool("deploy", "", runner=runner)}, approver=approver)


def test_the_approver_given_for_an_answer_decides_and_the_model_is_told_a_denial():
    asking = Asking("", "denied: not now")
    toolbox = _toolbox(Deny()).answering(asking)
    calls = [ToolCall("c1", "deploy", {"to": "a"}), ToolCall("c2", "deploy", {"to": "b"})]
    ends = {e["id"]: e for e in _round(toolbox, calls) if e["type"] == "tool_end"}
    assert asking.asked == [("deploy", {"to": "a"}), ("deploy", {"to": "b"})]
    assert ends["c1"]["ok"] and ends["c1"]["output"].strip() == "ran"
    assert not ends["c2"]["ok"] and ends["c2"]["output"] == "denied: not now"


def test_without_an_approver_nobody_is_asked_and_approve_allows_whoever_would_ask():
    [denied] = [e for e in _round(_toolbox(Deny()), [ToolCall("c", "deploy", {})]) if "ok" in e]
    assert not denied["ok"] and denied["output"] == approval.NOBODY
    asking = Asking("denied")
    allowed = _toolbox(Allow()).answering(asking)
    [ran] = [e for e in _round(allowed, [ToolCall("c", "deploy", {})]) if "ok" in e]
    assert ran["ok"] and asking.asked == []


def test_an_answer_has_processes_of_its_own_and_shares_the_tools():
    toolbox = _toolbox(Deny())
    first, second = toolbox.answering(None), toolbox.answering(Allow())
    assert first.children is not second.children is not toolbox.children
    assert first.tools is toolbox.tools and isinstance(first.approver, Deny)
