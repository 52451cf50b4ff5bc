"""API keys: from the environment, or from a file only its owner can read. Never a flag."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from streamcli.capped import KEY_LIMIT, read_capped
from streamcli.errors import BadInput


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
        text = read_capped(file, KEY_LIMIT, f"the key file {file}").decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read the key file {file}: {exc}") from None
    key = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if not key:
        raise BadInput(f"the key file {file} is empty")
    return key
