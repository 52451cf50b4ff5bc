"""`/edit`: write a question in $VISUAL or $EDITOR."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Mapping

from streamcli.capped import PROMPT_LIMIT, read_capped
from streamcli.errors import StreamcliError


def edit_text(initial: str, environ: Mapping[str, str]) -> str:
    """What the user wrote in their editor, starting from `initial` (raises
    `StreamcliError` when no editor is set or it fails)."""
    editor = environ.get("VISUAL") or environ.get("EDITOR")
    if not editor:
        raise StreamcliError("/edit: set VISUAL or EDITOR to your editor")
    fd, path = tempfile.mkstemp(prefix="streamcli-", suffix=".md")  # mode 600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(initial)
        try:
            status = subprocess.call([*shlex.split(editor), path])
        except OSError as exc:
            raise StreamcliError(f"/edit: cannot run {editor}: {exc.strerror or exc}") from None
        if status != 0:
            raise StreamcliError(f"/edit: {editor} exited with status {status}; nothing sent")
        return read_capped(path, PROMPT_LIMIT, "the edited text").decode("utf-8", "replace")
    finally:
        os.unlink(path)
