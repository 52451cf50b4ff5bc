"""Finding an MCP server's command: on PATH, then beside the Python running streamcli.

`pip install mcp-server-time` into streamcli's virtual environment puts the server in
the environment's bin directory, which is on PATH only while the environment is
activated. So a bare name is looked up on PATH first, then in the directory of
`sys.executable` (that bin directory); when it is in neither, the error says where it
looked.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping


class CommandNotFound(FileNotFoundError):
    """No such command where streamcli looked (`looked` says where)."""

    def __init__(self, command: str, looked: str) -> None:
        super().__init__(command)
        self.command = command
        self.looked = looked


class NoSuchCwd(FileNotFoundError):
    """The directory the server is to start in does not exist."""


def locate(command: str, environ: Mapping[str, str], cwd: str | None) -> str:
    """The program to start for `command`: a path as given (relative to `cwd`), or a bare
    name found on PATH or beside the running Python. Raises `NoSuchCwd`,
    `CommandNotFound`, or `PermissionError` for a file that is not executable."""
    if cwd is not None and not os.path.isdir(os.path.expanduser(cwd)):
        raise NoSuchCwd(cwd)
    if os.sep in command:
        path = os.path.join(cwd or "", os.path.expanduser(command))
        if not os.path.exists(path):
            raise CommandNotFound(command, "no such file")
        if os.path.isdir(path) or not os.access(path, os.X_OK):
            raise PermissionError(command)
        return command
    search = environ.get("PATH", os.defpath)
    found = shutil.which(command, path=search)
    if found is not None:
        return command  # as the user wrote it: the server's own PATH finds it too
    beside = os.path.dirname(sys.executable)  # not resolved: a venv's bin holds a link
    if beside and beside not in search.split(os.pathsep):
        found = shutil.which(command, path=beside)
        if found is not None:
            return found
        raise CommandNotFound(command, f"looked on PATH and in {beside}")
    raise CommandNotFound(command, "looked on PATH")
