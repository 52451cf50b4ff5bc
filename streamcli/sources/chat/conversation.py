"""Which conversation a chat belongs to, what it sends again, and where it is stored.

`--continue` picks the conversation used most recently, `--conversation ID` a given one;
their earlier messages (see `History.earlier`) go before the new prompt, and their last
system prompt is kept unless `--system` says otherwise. Without either, the chat starts a
new conversation. `--no-history` stores nothing (it may still continue one). A history
that cannot be opened is a warning for a new conversation and an error for a continued one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TextIO

from streamcli.errors import BadInput
from streamcli.history import History, HistoryError, history_path
from streamcli.sanitize import sanitize
from streamcli.sources.chat.recorder import HistoryRecorder
from streamcli.sources.chat.request import Message


@dataclass
class Conversation:
    history: History | None  # None: this exchange is not stored
    id: int | None  # None: a new conversation
    earlier: list[Message] = field(default_factory=list)
    system: str | None = None  # the conversation's last system prompt

    def recorder(self, prompt: str, system: str | None, stderr: TextIO) -> HistoryRecorder | None:
        """The tap that stores this exchange, or None with `--no-history`."""
        if self.history is None:
            return None
        return HistoryRecorder(self.history, self.id, prompt=prompt, system=system, stderr=stderr)


def open_conversation(
    continue_last: bool,
    conversation: int | None,
    no_history: bool,
    environ: Mapping[str, str],
    stderr: TextIO,
) -> Conversation:
    continued = continue_last or conversation is not None
    if continue_last and conversation is not None:
        raise BadInput("--continue and --conversation: give one of them")
    if no_history and not continued:
        return Conversation(None, None)
    try:
        history = History.open(history_path(environ))
    except HistoryError as exc:
        if continued:
            raise
        stderr.write(f"streamcli: warning: {sanitize(exc.message)}; this chat is not saved\n")
        stderr.flush()
        return Conversation(None, None)
    try:
        chosen = _choose(history, continue_last, conversation)
        earlier, system = history.earlier(chosen) if chosen is not None else ([], None)
    except sqlite3.Error as exc:
        history.close()
        raise HistoryError(f"cannot read the history {history.path}: {exc}") from None
    except BadInput:
        history.close()
        raise
    if no_history:
        history.close()
        return Conversation(None, chosen, earlier, system)
    return Conversation(history, chosen, earlier, system)


def _choose(history: History, continue_last: bool, conversation: int | None) -> int | None:
    if continue_last:
        latest = history.latest()
        if latest is None:
            raise BadInput(
                "--continue: there is no conversation to continue (the history is empty)"
            )
        return latest
    if conversation is not None and not history.exists(conversation):
        raise BadInput(
            f"--conversation: there is no conversation {conversation} "
            "(`streamcli history` lists them)"
        )
    return conversation
