"""An interactive chat session's state, and one question answered.

The session settles the chat (settings, tools, the MCP servers) and the conversation once;
each turn sends the earlier turns with its question through a client that keeps its
connection alive, and is saved in the history as it completes (the whole session is one
conversation). The loop that reads questions is `loop.py`.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, BinaryIO

from streamcli import errors
from streamcli.env import Environment
from streamcli.errors import StreamcliError
from streamcli.history.conversation import Conversation, open_conversation
from streamcli.interactive.dialogue import Dialogue, Turn
from streamcli.interactive.terminal import TerminalModes
from streamcli.signals import first_ctrl_c_ignored
from streamcli.sinks import OutputOptions
from streamcli.sources.chat.chat import Answer, Chat
from streamcli.sources.chat.flags import ChatFlags
from streamcli.sources.chat.settings import ChatSettings
from streamcli.stream import Screen, Sink, Source

if TYPE_CHECKING:
    from prompt_toolkit import PromptSession

    from streamcli.history.store import History
    from streamcli.interactive.turn import EarlyStart
    from streamcli.tools.toolbox import Toolbox


class ChatSession:
    """A session's state: its chat (settings, tools, client), its conversation, and how
    one question is answered (`ask`); the loop that reads the questions is `loop.py`."""

    def __init__(
        self,
        flags: ChatFlags,
        env: Environment,
        output: OutputOptions,
        chat: Chat,
        conversation: Dialogue,
        recording: BinaryIO | None = None,
    ) -> None:
        self.flags = flags
        self.env = env
        self.output = output
        self.chat = chat
        self.conversation = conversation
        self.opener: Callable[[], History] | None = None if flags.no_history else self.history_db
        self.last_prompt: str | None = None
        self._recording = recording
        self.modes = TerminalModes(env.stdin.fileno())
        self.screen = Screen()  # lent by each turn's pipeline to approval questions
        self._early: tuple[str, Answer, EarlyStart] | None = None
        self.prompt: PromptSession[str] | None = None  # the input line, once made

    @property
    def settings(self) -> ChatSettings:
        """The chat's settings (`/model` and `/system` change them)."""
        return self.chat.settings

    @settings.setter
    def settings(self, settings: ChatSettings) -> None:
        self.chat.settings = settings

    @property
    def toolbox(self) -> Toolbox | None:
        return self.chat.toolbox

    def ask(self, prompt: str) -> int:
        """One turn: stream the answer to `prompt` and keep it in the conversation."""
        from streamcli.interactive.turn import TurnTap

        self.last_prompt = prompt
        early, self._early = self._early, None
        try:
            source: Source
            if early and early[0] == prompt:
                answer, source = early[1], early[2]
            else:
                answer = self._answer(prompt)
                source = answer.source
        except StreamcliError as exc:
            errors.report(self.env.stderr, exc.message)
            return exc.exit_code
        tap = TurnTap(answer.transcript)
        status = self._show(source, [tap])
        with first_ctrl_c_ignored():  # the answer is over: what it adds is kept whole
            recorder = answer.recorder
            if recorder is not None and recorder.conversation is not None:
                self.conversation.id = recorder.conversation
            if tap.model and not self.settings.model and self.settings.provider is not None:
                # the server's only one: named in the next requests (no listing each turn)
                self.settings = dataclasses.replace(self.settings, model=tap.model)
            messages = tap.messages()
            if messages is not None:
                exchange = recorder.exchange if recorder is not None else None
                self.conversation.turns.append(Turn(prompt, messages, exchange, self.model_name))
        return status

    def _show(self, source: Source, taps: list[Sink]) -> int:
        """Show `source` as a one-shot answer is shown, with the session's recording and
        `taps`; the terminal is as found while a question is asked. The exit status."""
        from streamcli.interactive.terminal import CookedForQuestions
        from streamcli.run import show

        return show(
            source,
            self.env,
            self.output,
            taps=taps,
            recording=self._recording,
            screen=self.screen,
            wrap=lambda sink: CookedForQuestions(sink, self.modes),
        )

    def start_early(self, text: str) -> None:
        """Enter was pressed on `text`: a question (not a command) to a server is sent now,
        while the prompt closes; `ask` takes it over."""
        self.discard_early()
        if not text.strip() or text.lstrip().startswith("/") or self.settings.provider is None:
            return
        from streamcli.interactive.turn import EarlyStart

        try:
            answer = self._answer(text)
        except StreamcliError:
            return  # `ask` tries again and says why
        self._early = (text, answer, EarlyStart(answer.source))

    def discard_early(self) -> None:
        early, self._early = self._early, None
        if early is not None:
            early[2].close()

    def say(self, text: str) -> None:
        """A line for the user on the terminal."""
        self.env.stdout.write(text.encode() + b"\n")
        self.env.stdout.flush()

    def _answer(self, prompt: str) -> Answer:
        """The answer to `prompt` after the conversation so far, stored in it."""
        from streamcli.tools.approval import TerminalApprover

        stored = None
        if self.opener is not None:
            stored = Conversation(self.opener, self.conversation.id)
        env = self.env
        return self.chat.answer(
            prompt,
            earlier=self.conversation.messages(),
            conversation=stored,
            approver=TerminalApprover(self.screen),
            stderr=env.stderr,
            progress=env.stderr_isatty and not env.dumb_terminal,
        )

    # -- what the session holds ------------------------------------------------------

    @property
    def model_name(self) -> str:
        """The model asked, as the prompt shows it: short (a path, such as a llama.cpp
        server's model id or a GGUF file, by its file name)."""
        from streamcli.sinks.present import model_name

        model = self.settings.model
        if model:
            return model_name(model)
        if self.settings.provider is not None:
            return self.settings.provider.name
        from streamcli.sources.chat.local.bundled import NAME

        return NAME

    def warm(self) -> None:
        """While the first question is typed: import what a turn uses and make the client
        (its TLS context takes a while), so Enter sends at once."""
        with contextlib.suppress(Exception):
            import streamcli.history.recorder
            import streamcli.interactive.turn
            import streamcli.sinks.stats
            import streamcli.sinks.terminal
            import streamcli.sources.chat.source  # noqa: F401

            if self.settings.provider is not None:
                self.settings.provider.decoder()  # its protocol module
                self.chat.clients.warm()  # made now, leased by every turn

    def history_db(self) -> History:
        """The history database, opened (raises `HistoryError`)."""
        from streamcli.history.store import History, history_path

        return History.open(history_path(self.env.environ))

    def close(self) -> None:
        """Close the recording and the chat (its client, local model and tools)."""
        if self._recording is not None:
            with contextlib.suppress(OSError):
                self._recording.close()
        self.chat.close()


def open_session(flags: ChatFlags, env: Environment, output: OutputOptions) -> ChatSession:
    """Settle the chat, start its tools, find the conversation (or raise `BadInput`)."""
    from streamcli.run import open_recording

    chat = Chat.open(flags, env.environ, notices=env.stderr, keepalive=True)
    try:  # the MCP servers have started: closed on any failure
        found = open_conversation(flags.continue_last, flags.conversation, True, env.environ)
        chat.continuing(found, flags)
        conversation = Dialogue(found.id, found.earlier)
        return ChatSession(flags, env, output, chat, conversation, open_recording(output))
    except BaseException:
        chat.close()
        raise
