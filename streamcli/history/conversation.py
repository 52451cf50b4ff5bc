"""Which conversation a chat belongs to, what it sends again, and where it is stored.

`--continue` picks the conversation used most recently, `--conversation ID` a given one;
their earlier messages (see `History.earlier`) go before the new prompt, and their last
system prompt is kept unless `--system` says otherwise: the history is read before the
stream starts, and a history that cannot be read is an error. Without either, the chat
starts a new conversation, and the history is not even opened before the stream starts:
the recorder opens it in its own thread while the request is under way (a history that
cannot be opened is then a warning at the end). `--no-history` stores nothing (it may
still continue a conversation).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from streamcli.errors import BadInput
from streamcli.history.recorder import HistoryRecorder
from streamcli.transcript import Message, Transcript

if TYPE_CHECKING:
    from streamcli.history.store import History


@dataclass
class Conversation:
    """The conversation a chat continues or starts, with the messages that came before."""

    opener: Callable[[], History] | None  # None: this exchange is not stored
    id: int | None  # None: a new conversation
    earlier: list[Message] = field(default_factory=list)
    system: str | None = None  # the conversation's last system prompt

    def recorder(
        self, prompt: str, system: str | None, stderr: TextIO, transcript: Transcript
    ) -> HistoryRecorder | None:
        """The tap that stores an exchange of this conversation (what `transcript` holds
        once it ends), or None with `--no-history`."""
        if self.opener is None:
            return None
        return HistoryRecorder(
            self.opener,
            self.id,
            prompt=prompt,
            system=system,
            stderr=stderr,
            transcript=transcript,
        )


def open_conversation(
    continue_last: bool,
    conversation: int | None,
    no_history: bool,
    environ: Mapping[str, str],
) -> Conversation:
    if continue_last and conversation is not None:
        raise BadInput("--continue and --conversation: give one of them")
    if not continue_last and conversation is None:
        if no_history:
            return Conversation(None, None)
        return Conversation(lambda: _open(environ), None)
    import sqlite3

    from streamcli.history.store import HistoryError

    history = _open(environ)
    try:
        chosen = _choose(history, continue_last, conversation)
        earlier, system = history.earlier(chosen)
    except sqlite3.Error as exc:
        history.close()
        raise HistoryError(f"cannot read the history {history.path}: {exc}") from None
    except BadInput:
        history.close()
        raise
    if no_history:
        history.close()
        return Conversation(None, chosen, earlier, system)
    return Conversation(lambda: history, chosen, earlier, system)


def _open(environ: Mapping[str, str]) -> History:
    from streamcli.history.store import History, history_path

    return History.open(history_path(environ))


def _choose(history: History, continue_last: bool, conversation: int | None) -> int:
    if continue_last:
        latest = history.latest()
        if latest is None:
            raise BadInput(
                "--continue: there is no conversation to continue (the history is empty)"
            )
        return latest
    assert conversation is not None
    if not history.exists(conversation):
        raise BadInput(
            f"--conversation: there is no conversation {conversation} "
            "(`streamcli history` lists them)"
        )
    return conversation
