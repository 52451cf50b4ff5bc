"""`streamcli history`: list the conversations, show one, export them as JSON, delete one.

Plain text for people (every stored string sanitized: prompts, answers and tool output
are untrusted), JSON lines for programs: one conversation per line, whole (its
exchanges, their messages, tool calls and results, usage and timings). Reading never
creates the database.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson

from streamcli import errors
from streamcli.env import Environment
from streamcli.errors import BadInput
from streamcli.history.flags import HistoryRequest
from streamcli.history.store import ConversationSummary, History, history_path
from streamcli.sanitize import sanitize
from streamcli.sinks import present

OUTPUT_LINES = 3  # lines of a tool's output shown by `history ID`


def run_history(request: HistoryRequest, env: Environment) -> int:
    """Do what `request` asks; return the exit status (errors: one line on stderr)."""
    return errors.status_of(lambda: _run(request, env), env.stderr)


def _run(request: HistoryRequest, env: Environment) -> int:
    if request.delete and request.conversation is None:
        raise BadInput("--delete: say which conversation (streamcli history ID --delete)")
    path = history_path(env.environ)
    if not path.exists():
        if request.conversation is not None:
            raise BadInput(
                f"there is no conversation {request.conversation} (the history is empty)"
            )
        if not request.json:
            env.stderr.write(f"streamcli: no conversations yet ({sanitize(str(path))})\n")
        return errors.OK
    history = History.open(path)
    try:
        if request.delete:
            assert request.conversation is not None
            if not history.delete(request.conversation):
                raise BadInput(f"there is no conversation {request.conversation}")
            env.stderr.write(f"streamcli: deleted conversation {request.conversation}\n")
            return errors.OK
        if request.conversation is not None:
            conversation = history.conversation(request.conversation)
            if conversation is None:
                raise BadInput(
                    f"there is no conversation {request.conversation} "
                    "(`streamcli history` lists them)"
                )
            _write(env, _json_line(conversation) if request.json else _show(conversation))
            return errors.OK
        summaries = history.summaries(request.limit or None)
        if request.json:
            lines = (history.conversation(s.id) for s in summaries)
            _write(env, b"".join(_json_line(c) for c in lines if c is not None))
        elif summaries:
            width = env.terminal_size()[0] if env.stdout_isatty else 10_000
            _write(env, summary_table(summaries, width))
        else:
            env.stderr.write("streamcli: no conversations yet\n")
        return errors.OK
    finally:
        history.close()


def _write(env: Environment, data: bytes | str) -> None:
    env.stdout.write(data.encode("utf-8", "replace") if isinstance(data, str) else data)
    env.stdout.flush()


def _json_line(conversation: dict[str, Any]) -> bytes:
    return orjson.dumps(conversation, option=orjson.OPT_APPEND_NEWLINE)


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    return dt.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


def summary_table(summaries: list[ConversationSummary], width: int) -> str:
    """The conversations as a table, one row each, `width` columns wide."""
    models = [sanitize(present.model_name(s.model) if s.model else "-") for s in summaries]
    model_width = min(max(5, *map(len, models)), 24)
    id_width = max(2, *(len(str(s.id)) for s in summaries))
    rows = [
        f"{'ID':>{id_width}}  {'LAST USED':16}  {'MODEL':{model_width}}  {'TURNS':>5}  FIRST PROMPT"
    ]
    for summary, model in zip(summaries, models, strict=True):
        flag = "" if summary.status in ("complete", None) else f" ({summary.status})"
        head = (
            f"{summary.id:>{id_width}}  {_when(summary.updated):16}  "
            f"{model[:model_width]:{model_width}}  {summary.exchanges:>5}  "
        )
        prompt = present.one_line(summary.first_prompt) + flag
        rows.append(head + present.shorten(prompt, max(10, width - len(head))))
    return "\n".join(rows) + "\n"


def _show(conversation: dict[str, Any]) -> str:
    exchanges = conversation["exchanges"]
    out = [
        f"conversation {conversation['id']} · started {_when(conversation['created'])} · "
        f"{len(exchanges)} exchange{'s' if len(exchanges) != 1 else ''}"
    ]
    for number, exchange in enumerate(exchanges, 1):
        out.append("")
        out.append(_exchange_header(number, exchange))
        if exchange.get("system"):
            out.append(f"system: {sanitize(exchange['system'])}")
        out.extend("> " + sanitize(line) for line in exchange["prompt"].splitlines() or [""])
        out.append("")
        out.extend(_messages(exchange["messages"]))
        if exchange.get("error"):
            out.append(f"error: {sanitize(exchange['error'])}")
    return "\n".join(out).rstrip("\n") + "\n"


def _exchange_header(number: int, exchange: dict[str, Any]) -> str:
    """The line above an exchange: its number in the conversation (1, 2, …), when, who."""
    parts = [_when(exchange["started"])]
    model = present.model_name(str(exchange["model"])) if exchange.get("model") else None
    who = " ".join(sanitize(str(v)) for v in (exchange.get("provider"), model) if v)
    if who:
        parts.append(who)
    parts.append(str(exchange["status"]))
    if exchange.get("input_tokens") is not None or exchange.get("output_tokens") is not None:
        parts.append(
            f"{exchange.get('input_tokens') or 0} → {exchange.get('output_tokens') or 0} tokens"
        )
    if exchange.get("duration_ms") is not None:
        parts.append(present.duration(exchange["duration_ms"]))
    return f"── #{number} · " + " · ".join(parts)


def _messages(messages: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for message in messages:
        if message.get("role") == "tool":
            mark = present.mark(bool(message.get("ok", True)))
            lines = str(message.get("content") or "").splitlines()
            out.append(f"{mark} {sanitize(str(message.get('name')))}")
            out.extend("  " + sanitize(line) for line in lines[:OUTPUT_LINES])
            if len(lines) > OUTPUT_LINES:
                out.append(f"  … {len(lines) - OUTPUT_LINES} more lines")
            continue
        content = str(message.get("content") or "")
        if content:
            out.append(sanitize(content))
        for call in message.get("tool_calls") or ():
            summary = present.arguments_summary(call.get("arguments"))
            out.append(present.tool_started(sanitize(str(call.get("name"))), summary))
    return out
