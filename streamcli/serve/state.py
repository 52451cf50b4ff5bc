"""What a running server holds: its chat, its streams, its questions, its files."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from streamcli.serve.approvals import Approvals
from streamcli.serve.flags import ServeFlags
from streamcli.serve.runs import Runs
from streamcli.sources.chat.chat import Chat


def offered(paths: list[Path]) -> dict[str, Path]:
    """Files by the name a client asks for: the file's name, or its path as given when
    two share a name."""
    names: dict[str, Path] = {}
    for path in paths:
        taken = path.name in names or sum(p.name == path.name for p in paths) > 1
        names[str(path) if taken else path.name] = path
    return names


@dataclass
class ServerState:
    """The chat every answer is built from, the streams running, and what is offered."""

    chat: Chat
    flags: ServeFlags
    environ: Mapping[str, str]
    stderr: TextIO
    history: bool = True  # answers of `/api/chat` are saved
    runs: Runs = field(default_factory=Runs)
    approvals: Approvals = field(default_factory=Approvals)
    local_turns: threading.Lock = field(default_factory=threading.Lock)  # one local answer

    @property
    def tails(self) -> dict[str, Path]:
        return offered(self.flags.tails)

    @property
    def recordings(self) -> dict[str, Path]:
        return offered(self.flags.recordings)
