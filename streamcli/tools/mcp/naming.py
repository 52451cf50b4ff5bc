"""The names the model sees for MCP tools: ``SERVER__TOOL``, e.g. ``time__get_current_time``.

Every API accepts ``^[a-zA-Z0-9_-]{1,64}$`` as a function name, so a character outside
that set becomes ``_``; a name longer than 64 keeps its first 55 characters and gets ``_``
and 8 hex digits of a hash of the full name. The server's own tool name is always in it
(shortened only when too long), and names stay unique across servers and built-in tools:
a clash gets ``_2``, ``_3``….
"""

from __future__ import annotations

import hashlib
import re

from streamcli.tools.spec import NAME

SEPARATOR = "__"
MAX = 64
_INVALID = re.compile(r"[^A-Za-z0-9_-]")


def exposed_name(server: str, tool: str, taken: set[str] | frozenset[str] = frozenset()) -> str:
    """The model's name for `tool` of `server`, not one of `taken`."""
    name = _fit(_INVALID.sub("_", f"{server}{SEPARATOR}{tool}") or "_")
    base, number = name, 1
    while name in taken:
        number += 1
        suffix = f"_{number}"
        name = base[: MAX - len(suffix)] + suffix
    assert NAME.match(name)
    return name


def _fit(name: str) -> str:
    if len(name) <= MAX:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: MAX - 9]}_{digest}"
