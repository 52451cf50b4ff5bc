"""What a stdio MCP server inherits: a minimal environment, plus what its entry names.

From streamcli's environment a server gets only what programs need to run and to speak
the user's language — PATH, HOME, USER, LOGNAME, SHELL, TERM, LANG, LANGUAGE, the LC_*
variables, TZ and TMPDIR — never an API key or another variable, whatever its name.
Anything else it needs (a token, say) its entry names in ``env``, where ``${VAR}`` takes
the value from the environment: that is the one way a secret reaches a server.
"""

from __future__ import annotations

from collections.abc import Mapping

from streamcli.tools.mcp.config import ServerEntry

INHERITED = ("PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "LANG", "LANGUAGE", "TZ", "TMPDIR")


def server_environment(entry: ServerEntry, environ: Mapping[str, str]) -> dict[str, str]:
    """The environment `entry`'s server is started with."""
    env = {
        name: value
        for name, value in environ.items()
        if (name in INHERITED or name.startswith("LC_")) and not value.startswith("()")
    }
    env.update(entry.env)
    return env
