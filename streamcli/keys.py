"""API keys: from the environment, or from a file only its owner can read. Never a flag.

Also the keys in every key file the config file names (`configured_keys`), which are
masked wherever they show, whichever provider is in use (`redact.known_secrets`).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

from streamcli.capped import KEY_LIMIT, read_capped
from streamcli.config import load_config
from streamcli.errors import BadInput
from streamcli.providers import HTTP_PROVIDERS


def read_key_file(path: str | Path) -> str:
    """The key in `path`, refused when other users could read the file (as ssh does)."""
    file = Path(path).expanduser()
    try:
        info = file.stat()
    except OSError as exc:
        raise BadInput(f"cannot read the key file {file}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise BadInput(f"the key file {file} is not a regular file")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise BadInput(f"the key file {file} belongs to another user")
    if info.st_mode & 0o077:
        mode = stat.S_IMODE(info.st_mode)
        raise BadInput(
            f"the key file {file} can be read by other users (mode {mode:04o}): "
            f"run chmod 600 {file}"
        )
    try:
        key = _first_line(file)
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read the key file {file}: {exc}") from None
    if not key:
        raise BadInput(f"the key file {file} is empty")
    return key


def configured_keys(environ: Mapping[str, str]) -> list[str]:
    """The keys in the config file's key files. One that cannot be read is skipped (the
    provider that uses it says why); one that other users can read is still a key."""
    try:
        config = load_config(environ)
    except BadInput:
        return []
    found = []
    for name in HTTP_PROVIDERS:
        path = config.get("key_file", name)
        if not isinstance(path, str):
            continue
        file = Path(path).expanduser()
        try:
            key = _first_line(file) if stat.S_ISREG(file.stat().st_mode) else ""
        except (OSError, UnicodeDecodeError, BadInput):
            continue
        found += [key] if key else []
    return found


def _first_line(file: Path) -> str:
    """The first line of `file` that is not blank, stripped ("" if none)."""
    text = read_capped(file, KEY_LIMIT, f"the key file {file}").decode("utf-8")
    return next((line.strip() for line in text.splitlines() if line.strip()), "")
