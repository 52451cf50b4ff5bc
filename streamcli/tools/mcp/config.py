"""The MCP servers' file: ``$XDG_CONFIG_HOME/streamcli/mcp.json`` (``--mcp-config FILE``).

The shape other clients (Claude Desktop, Cursor…) write, so their file works unchanged::

    {"mcpServers": {
        "time":  {"command": "mcp-server-time", "args": ["--local-timezone", "UTC"]},
        "files": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem"],
                  "env": {"API_TOKEN": "${MY_TOKEN}"}, "cwd": "/srv"},
        "docs":  {"type": "http", "url": "https://example.com/mcp",
                  "headers": {"Authorization": "Bearer ${DOCS_KEY}"}}},
     "defaultServers": ["time"]}

streamcli's own keys: ``defaultServers`` (offered to every chat without ``--mcp``) and,
per server, ``trust`` (true: its calls run without asking; a list: those tools do) and
``startupTimeout`` (seconds, default 30). ``${VAR}`` in ``env`` and ``headers`` is taken
from the environment. Unknown keys are ignored with a notice; a value of the wrong type
is an error naming the file and the server (exit status 2).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streamcli.capped import CONFIG_LIMIT, read_capped
from streamcli.errors import BadInput
from streamcli.paths import config_dir

START_TIMEOUT = 30.0
STDIO_KEYS = ("command", "args", "env", "cwd")
REMOTE_KEYS = ("type", "url", "headers")
OWN_KEYS = ("trust", "startupTimeout")
# Keys other clients write that mean nothing here: ignored without a notice.
QUIET_KEYS = ("disabled", "autoApprove", "alwaysAllow", "description", "timeout", "transport")
TOP_KEYS = ("mcpServers", "defaultServers")
REMOTE_TYPES = ("http", "streamable-http", "streamable_http", "sse")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class ServerEntry:
    """One server of the file: how to start (stdio) or reach (http, sse) it."""

    name: str
    transport: str  # "stdio", "http" or "sse"
    command: str = ""
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict, compare=False)
    cwd: str | None = None
    url: str = ""
    headers: dict[str, str] = field(default_factory=dict, compare=False)
    trust: bool | tuple[str, ...] = False
    start_timeout: float = START_TIMEOUT
    unset: tuple[str, ...] = ()  # variables named in env or headers that are not set

    def trusts(self, tool: str) -> bool:
        """Whether a call to the server's `tool` runs without asking."""
        return self.trust is True or (isinstance(self.trust, tuple) and tool in self.trust)

    @property
    def where(self) -> str:
        """What the server is, for messages: its command or its URL."""
        if self.transport == "stdio":
            return " ".join([self.command, *self.args])
        return self.url


@dataclass
class McpConfig:
    """The servers of the file (none when there is no file), and what was odd in it."""

    path: Path
    servers: dict[str, ServerEntry] = field(default_factory=dict)
    defaults: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    found: bool = False

    def chosen(self, names: list[str]) -> list[ServerEntry]:
        """The servers called `names` (the defaults when none are named); raises
        `BadInput` for an unknown name."""
        picked = []
        for name in dict.fromkeys(names or self.defaults):
            entry = self.servers.get(name)
            if entry is None:
                known = ", ".join(self.servers) or "none"
                where = str(self.path) if self.found else f"{self.path} (not found)"
                flag = "--mcp" if names else f"{self.path}: defaultServers"
                raise BadInput(
                    f"{flag}: unknown MCP server {name!r}; known: {known} (servers are "
                    f"configured in {where})"
                )
            if entry.unset:
                raise BadInput(
                    f"{self.path}: server {name!r} uses ${{{entry.unset[0]}}}, which is not set"
                )
            picked.append(entry)
        return picked


def default_mcp_path(environ: Mapping[str, str]) -> Path:
    return config_dir(environ) / "mcp.json"


def load_mcp_config(file: Path | None, environ: Mapping[str, str]) -> McpConfig:
    """The servers of `file` (default: mcp.json in the config directory); an empty config
    when the default file does not exist. Raises `BadInput` for a bad file."""
    path = file or default_mcp_path(environ)
    try:
        data = read_capped(path, CONFIG_LIMIT, f"the MCP servers file {path}")
    except FileNotFoundError:
        if file is not None:
            raise BadInput(f"--mcp-config: no such file: {file}") from None
        return McpConfig(path)
    except OSError as exc:
        raise BadInput(f"cannot read the MCP servers file {path}: {exc.strerror or exc}") from None
    try:
        values = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadInput(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise BadInput(f"{path}: not valid JSON ({exc})") from None
    return _parse(path, values, environ)


def _parse(path: Path, values: Any, environ: Mapping[str, str]) -> McpConfig:
    config = McpConfig(path, found=True)
    if not isinstance(values, dict):
        raise BadInput(f"{path}: must be a JSON object with an mcpServers object")
    for key in values:
        if key not in TOP_KEYS:
            config.notices.append(f"{path}: ignored the unknown key {key!r}")
    servers = values.get("mcpServers", {})
    if not isinstance(servers, dict):
        raise BadInput(f"{path}: mcpServers must be an object (server name → settings)")
    for name, settings in servers.items():
        entry = _entry(path, name, settings, environ, config.notices)
        if entry is not None:
            config.servers[name] = entry
    defaults = values.get("defaultServers", [])
    if not isinstance(defaults, list) or not all(isinstance(n, str) for n in defaults):
        raise BadInput(f"{path}: defaultServers must be a list of server names")
    config.defaults = defaults
    return config


def _entry(
    path: Path, name: str, settings: Any, environ: Mapping[str, str], notices: list[str]
) -> ServerEntry | None:
    where = f"{path}: server {name!r}"
    if not isinstance(settings, dict):
        raise BadInput(f"{where}: must be an object (command and args, or type and url)")
    if settings.get("disabled") is True:
        return None
    remote = "url" in settings or settings.get("type") in REMOTE_TYPES
    known = (*(REMOTE_KEYS if remote else STDIO_KEYS), *OWN_KEYS, *QUIET_KEYS)
    for key in settings:
        if key not in known:
            notices.append(f"{where}: ignored the unknown key {key!r}")
    trust = _trust(where, settings.get("trust", False))
    timeout = settings.get("startupTimeout", START_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise BadInput(f"{where}: startupTimeout must be a number of seconds above 0")
    if remote:
        kind = settings.get("type", "http")
        if kind not in REMOTE_TYPES:
            raise BadInput(f"{where}: type must be one of {', '.join(REMOTE_TYPES)}")
        url = settings.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise BadInput(f"{where}: url must be an http:// or https:// URL")
        headers, unset = _expanded(_strings(where, "headers", settings.get("headers", {})), environ)
        return ServerEntry(
            name,
            "sse" if kind == "sse" else "http",
            url=url,
            headers=headers,
            unset=unset,
            trust=trust,
            start_timeout=float(timeout),
        )
    command = settings.get("command")
    if not isinstance(command, str) or not command:
        raise BadInput(f'{where}: command must be a string, e.g. "command": "mcp-server-time"')
    args = settings.get("args", [])
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise BadInput(f"{where}: args must be a list of strings")
    cwd = settings.get("cwd")
    if cwd is not None and not isinstance(cwd, str):
        raise BadInput(f"{where}: cwd must be a string (a directory)")
    env, unset = _expanded(_strings(where, "env", settings.get("env", {})), environ)
    return ServerEntry(
        name,
        "stdio",
        command=command,
        args=tuple(args),
        env=env,
        unset=unset,
        cwd=cwd,
        trust=trust,
        start_timeout=float(timeout),
    )


def _trust(where: str, value: Any) -> bool | tuple[str, ...]:
    if isinstance(value, bool):
        return value
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise BadInput(f"{where}: trust must be true, false or a list of the server's tool names")


def _strings(where: str, key: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise BadInput(f"{where}: {key} must be an object of strings")
    return dict(value)


def _expanded(
    values: dict[str, str], environ: Mapping[str, str]
) -> tuple[dict[str, str], tuple[str, ...]]:
    """`${VAR}` replaced by the variable's value, and the variables that are not set (an
    error only when the server is chosen)."""
    unset: list[str] = []

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in environ:
            unset.append(name)
            return ""
        return environ[name]

    expanded = {name: _VARIABLE.sub(value, text) for name, text in values.items()}
    return expanded, tuple(unset)


def wants_servers(file: Path | None, environ: Mapping[str, str]) -> bool:
    """Whether a chat without ``--mcp`` gets servers: the MCP file names defaults."""
    path = file or default_mcp_path(environ)
    if file is None and not path.exists():
        return False
    return bool(load_mcp_config(file, environ).defaults)
