"""Where streamcli keeps its files: its directories under the XDG base directories."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def xdg_dir(environ: Mapping[str, str], variable: str, default: str) -> Path:
    """`$variable/streamcli`, or `~/default/streamcli` when the variable is unset or
    relative (the XDG spec says relative paths are ignored)."""
    base = environ.get(variable) or ""
    if not os.path.isabs(base):
        home = environ.get("HOME") or str(Path.home())
        base = os.path.join(home, default)
    return Path(base) / "streamcli"


def config_dir(environ: Mapping[str, str]) -> Path:
    """config.toml, tools.toml: `$XDG_CONFIG_HOME/streamcli` (`~/.config/streamcli`)."""
    return xdg_dir(environ, "XDG_CONFIG_HOME", ".config")


def data_dir(environ: Mapping[str, str]) -> Path:
    """history.db: `$XDG_DATA_HOME/streamcli` (`~/.local/share/streamcli`)."""
    return xdg_dir(environ, "XDG_DATA_HOME", os.path.join(".local", "share"))


def cache_dir(environ: Mapping[str, str]) -> Path:
    """The assembled bundled model: `$XDG_CACHE_HOME/streamcli` (`~/.cache/streamcli`)."""
    return xdg_dir(environ, "XDG_CACHE_HOME", ".cache")


def state_dir(environ: Mapping[str, str]) -> Path:
    """Logs (MCP servers' stderr): `$XDG_STATE_HOME/streamcli` (`~/.local/state/streamcli`)."""
    return xdg_dir(environ, "XDG_STATE_HOME", os.path.join(".local", "state"))


def open_private(path: Path, flags: int = os.O_WRONLY | os.O_APPEND) -> int:
    """A descriptor of `path`, created if missing, readable by its owner alone (made so if
    it was not), never opened through a symbolic link (`OSError`, as for any failure)."""
    fd = os.open(path, flags | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, 0o600)
    except OSError:
        os.close(fd)
        raise
    return fd
