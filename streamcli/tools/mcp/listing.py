"""`streamcli mcp list`: start every configured server, show its tools or why it did not start.

For people: a line per server (its name and command or URL), then its tools, each with
the name the model sees and the first line of its description — all of it sanitized,
since a server's words are untrusted. For programs (``--json``): one object per server,
one a line: ``{"server", "transport", "started", "error"?, "tools": [{"name", "tool",
"description"}]}``. The exit status is 1 when a server did not start, 2 for a bad file.
"""

from __future__ import annotations

from typing import Any

import orjson

from streamcli import errors
from streamcli.env import Environment
from streamcli.redact import Redactor, known_secrets
from streamcli.sanitize import sanitize
from streamcli.sinks import present
from streamcli.tools.mcp.config import load_mcp_config
from streamcli.tools.mcp.flags import McpRequest
from streamcli.tools.mcp.naming import exposed_name
from streamcli.tools.mcp.offer import import_hub, log_dir


def run_mcp(request: McpRequest, env: Environment) -> int:
    """Do what `request` asks; return the exit status (errors: one line on stderr)."""
    return errors.status_of(lambda: _list(request, env), env.stderr)


def _list(request: McpRequest, env: Environment) -> int:
    config = load_mcp_config(request.config, env.environ)
    for notice in config.notices:
        env.stderr.write(f"streamcli: {sanitize(notice)}\n")
    if not config.servers:
        why = "has none" if config.found else "does not exist"
        env.stderr.write(f"streamcli: no MCP servers configured ({config.path} {why})\n")
        return errors.OK
    entries = list(config.servers.values())
    mask = Redactor(known_secrets(env.environ))  # in the logs and in what is shown
    hub = import_hub()(entries, env.environ, log_dir(env.environ), mask=mask)
    try:
        hub.start(strict=False)
    finally:
        hub.close()
    taken: set[str] = set()
    rows: list[dict[str, Any]] = []
    for entry in entries:
        server = hub.servers[entry.name]
        row: dict[str, Any] = {
            "server": entry.name,
            "transport": entry.transport,
            "started": server.failure is None,
        }
        if server.failure is not None:
            row["error"] = mask(server.failure)
        tools = []
        for tool in server.tools:
            name = exposed_name(entry.name, tool.name, taken)
            taken.add(name)
            tools.append(
                {"name": mask(name), "tool": mask(tool.name), "description": mask(tool.description)}
            )
        row["tools"] = tools
        rows.append(row)
        _show(env, mask(entry.where), row, request.json)
    return errors.OK if all(row["started"] for row in rows) else errors.FAILURE


def _show(env: Environment, where: str, row: dict[str, Any], as_json: bool) -> None:
    out = env.stdout
    if as_json:
        out.write(orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE))
        out.flush()
        return
    lines = [f"{sanitize(row['server'])}  ({row['transport']}: {sanitize(where)})"]
    if not row["started"]:
        lines.append(f"  did not start: {sanitize(row['error'])}")
    lines += present.tool_list([(t["name"], t["description"]) for t in row["tools"]], "  ")
    if row["started"] and not row["tools"]:
        lines.append("  (no tools)")
    out.write(("\n".join(lines) + "\n").encode("utf-8", "replace"))
    out.flush()
