"""One round of tool calls: check each call, ask where needed, run, report as events.

The model may ask for several calls at once. Each is checked (known tool, arguments a
JSON object that fits the schema); the calls that need it are then approved one by one by
the toolbox's approver (the terminal, `--approve`, the page of `serve`…); then every
call gets its `tool_start` event, the approved ones run side by side (each has its own
spinner, which an MCP server's progress notifications update through `tool_progress`
events) and each `tool_end` is sent as soon as that call is done; the events of an MCP
tool's call carry its `server`. A call that was
refused or denied ends at once with ``ok: false`` and says why: that text is what the
model is told. When the chat is stopped, running tools are killed and no more events come.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from streamcli import events
from streamcli.events import Event
from streamcli.tools.call import ToolCall
from streamcli.tools.process import Outcome
from streamcli.tools.spec import Tool
from streamcli.tools.toolbox import Toolbox

POLL = 0.05
GIVE_UP_AFTER = 10.0  # seconds past the timeout


@dataclass
class _Planned:
    call: ToolCall
    tool: Tool | None  # None: not run
    refusal: str = ""
    server: str | None = None  # the MCP server of the tool

    @property
    def extra(self) -> dict[str, str]:
        """The events' fields beyond the common ones: the MCP server, if any."""
        return {"server": self.server} if self.server is not None else {}


class RoundStopped(Exception):
    """The chat was stopped during the round."""


def run_round(
    calls: list[ToolCall],
    toolbox: Toolbox,
    clock: Callable[[], float],
    stop: threading.Event,
) -> Iterator[list[Event]]:
    """Yield the round's events; raises `RoundStopped`."""
    plans: list[_Planned] = []
    for call in calls:
        checked = toolbox.check(call.name, call.arguments, call.problem)
        if isinstance(checked, str):
            plans.append(_Planned(call, None, checked))
        elif checked.asks:
            refusal = toolbox.approver.approve(checked, call.arguments, stop)
            if refusal is None:
                raise RoundStopped
            plans.append(_Planned(call, None if refusal else checked, refusal, checked.server))
        else:
            plans.append(_Planned(call, checked, server=checked.server))
    t = clock()
    yield [events.tool_start(t, p.call.id, p.call.name, p.call.arguments, **p.extra) for p in plans]
    refused = [
        events.tool_end(t, p.call.id, p.call.name, False, p.refusal, 0.0, **p.extra)
        for p in plans
        if p.tool is None
    ]
    if refused:
        yield refused
    yield from _run([p for p in plans if p.tool is not None], toolbox, clock, stop)


def _run(
    plans: list[_Planned], toolbox: Toolbox, clock: Callable[[], float], stop: threading.Event
) -> Iterator[list[Event]]:
    """Run the calls side by side; yield their progress and each `tool_end` as it comes."""
    done: queue.Queue[tuple[_Planned, Outcome | str, float]] = queue.Queue()

    def work(plan: _Planned) -> None:
        started = time.monotonic()
        assert plan.tool is not None

        def progress(message: str) -> None:
            done.put((plan, message, 0.0))

        outcome = toolbox.run(plan.tool, plan.call.arguments, stop, progress)
        done.put((plan, outcome, (time.monotonic() - started) * 1000))

    # User tools end themselves at the timeout; a stuck built-in one is given up on.
    deadline = time.monotonic() + toolbox.timeout
    running = {id(plan): plan for plan in plans}
    for plan in plans:
        threading.Thread(target=work, args=(plan,), name="streamcli-tool", daemon=True).start()
    while running:
        try:
            finished = [done.get(timeout=POLL)]
        except queue.Empty:
            finished = []
        if stop.is_set():
            toolbox.children.kill()
            raise RoundStopped
        while True:
            try:
                finished.append(done.get_nowait())
            except queue.Empty:
                break
        if not finished and time.monotonic() > deadline + GIVE_UP_AFTER:
            finished = [(p, _gave_up(toolbox), toolbox.timeout * 1000) for p in running.values()]
        batch = []
        for plan, outcome, ms in finished:
            if id(plan) not in running:
                continue
            call = plan.call
            if isinstance(outcome, str):  # progress of a call still running
                batch.append(
                    events.tool_progress(clock(), call.id, call.name, outcome, **plan.extra)
                )
                continue
            del running[id(plan)]
            batch.append(
                events.tool_end(
                    clock(),
                    call.id,
                    call.name,
                    outcome.ok,
                    outcome.output,
                    round(ms, 3),
                    **plan.extra,
                )
            )
        if batch:
            yield batch


def _gave_up(toolbox: Toolbox) -> Outcome:
    return Outcome(False, f"timed out after {toolbox.timeout:g} s (--tool-timeout)")
