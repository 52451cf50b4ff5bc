"""The slash commands of a session (`/help` lists them) and the input line they complete.

A command's output is a few plain lines on the terminal, every untrusted part sanitized;
an unknown command is a one-line hint and nothing is sent. A line that starts with `//`
is sent as a question starting with `/`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from streamcli import errors
from streamcli.errors import StreamcliError
from streamcli.sanitize import sanitize
from streamcli.sinks import present

if TYPE_CHECKING:
    from prompt_toolkit import PromptSession

    from streamcli.history.store import History
    from streamcli.interactive.dialogue import Turn
    from streamcli.interactive.session import ChatSession
    from streamcli.sources.chat.settings import ChatSettings
    from streamcli.transcript import Message

_R = TypeVar("_R")

HELP = """\
Enter sends · Alt-Enter or Ctrl-J: a new line · a paste is one message
Ctrl-C: stop the answer, or clear the line · Ctrl-D on an empty line: leave
Up/Down: earlier inputs · Ctrl-R: search them · Ctrl-X Ctrl-E: $VISUAL/$EDITOR
Tab completes commands and model names · // sends a line starting with /
"""

USAGE: dict[str, str] = {
    "/help": "these lines",
    "/exit": "leave (so does /quit, or Ctrl-D)",
    "/quit": "leave",
    "/clear": "start a new conversation",
    "/model [NAME]": "list the models, or switch to NAME",
    "/system [TEXT]": "show the system prompt, or set it (- removes it)",
    "/retry": "answer the last question again",
    "/undo": "drop the last exchange (from the history too)",
    "/history": "list the saved conversations",
    "/load ID": "continue the saved conversation ID",
    "/save FILE": "write this conversation as Markdown",
    "/tools": "the tools offered to the model",
    "/stats on|off": "the time to first token and tokens/s after each answer",
    "/reasoning on|off": "show the model's reasoning",
    "/edit": "write the next question in $VISUAL/$EDITOR",
}

TAKE_ARGUMENTS = tuple(usage.split()[0] for usage in USAGE if " " in usage)


class Leave(Exception):
    """`/exit` or `/quit`: the session ends with status 0."""


class Commands:
    """The slash commands of one session."""

    def __init__(self, session: ChatSession) -> None:
        self.session = session
        self._models: list[str] | None = None
        self._table: dict[str, Callable[[str], int | None]] = {
            "/help": self.help,
            "/exit": self.leave,
            "/quit": self.leave,
            "/clear": self.clear,
            "/model": self.model,
            "/system": self.system,
            "/retry": self.retry,
            "/undo": self.undo,
            "/history": self.history,
            "/load": self.load,
            "/save": self.save,
            "/tools": self.tools,
            "/stats": self.stats,
            "/reasoning": self.reasoning,
            "/edit": self.edit,
        }

    def input_line(self) -> PromptSession[str]:
        """The prompt of the session: the model's name, completion, the input history."""
        from streamcli.interactive.prompt import InputHistory, SlashCompleter, input_history_path
        from streamcli.interactive.prompt import input_line as make

        session = self.session
        history = InputHistory(
            input_history_path(session.env.environ), write=not session.flags.no_history
        )
        if history.refused:
            session.env.stderr.write(f"streamcli: {history.refused}\n")
        completer = SlashCompleter(self._table, self.model_names, TAKE_ARGUMENTS)
        return make(self.label, history, completer, session.start_early)

    def label(self) -> str:
        return sanitize(self.session.model_name)

    def run(self, text: str) -> int:
        """Do the command in `text`; the exit status of the turn it asked for, if any
        (`/retry`, `/edit`, or a question after all: `//…`)."""
        if text.lstrip().startswith("//"):
            return self.session.ask(text.lstrip()[1:])
        name, _, argument = text.strip().partition(" ")
        action = self._table.get(name)
        if action is None:
            self.say(f"unknown command {name}; /help lists them (// sends a line starting with /)")
            return errors.OK
        status = action(argument.strip())
        return errors.OK if status is None else status

    def say(self, text: str) -> None:
        """Lines for the user on the terminal (sanitized)."""
        stdout = self.session.env.stdout
        stdout.write((sanitize(text.rstrip("\n")) + "\n").encode())
        stdout.flush()

    # -- the commands ----------------------------------------------------------------

    def help(self, argument: str) -> None:
        width = max(map(len, USAGE))
        rows = [f"{name:{width}}  {what}" for name, what in USAGE.items()]
        self.say("\n".join(rows) + "\n" + HELP)

    def leave(self, argument: str) -> None:
        raise Leave

    def clear(self, argument: str) -> None:
        from streamcli.interactive.dialogue import Dialogue

        self.session.conversation = Dialogue()
        self.say("a new conversation")

    def model(self, argument: str) -> None:
        session = self.session
        if argument:
            model: str | None = argument
            if session.settings.provider is None:  # the local model
                from streamcli.sources.chat.local.bundled import NAME

                model = None if argument == NAME else argument
            session.settings = dataclasses.replace(session.settings, model=model)
            session.chat.unload_local()  # the local model: the next question loads this one
            self.say(f"model: {argument}")
            return
        try:
            names = self.model_names(fresh=True)
        except StreamcliError as exc:
            self.say(f"cannot list the models: {exc.message}")
            return
        current = session.settings.model
        if current is None and session.settings.provider is None:
            from streamcli.sources.chat.local.bundled import NAME

            current = NAME
        self.say("\n".join(f"{'*' if n == current else ' '} {n}" for n in names) or "no models")

    def model_names(self, fresh: bool = False) -> list[str]:
        """The models the server offers (listed once; [] when it cannot list them)."""
        if self._models is None or fresh:
            try:
                self._models = self.session.chat.models()
            except StreamcliError:
                if fresh:
                    raise
                self._models = []
        return self._models

    def system(self, argument: str) -> None:
        session = self.session
        if not argument:
            self.say(f"system prompt: {session.settings.system or '(none)'}")
            return
        system = None if argument == "-" else argument
        session.settings = dataclasses.replace(session.settings, system=system)
        self.say("system prompt removed" if system is None else "system prompt set")

    def retry(self, argument: str) -> int | None:
        session = self.session
        prompt = session.last_prompt
        if prompt is None:
            self.say("nothing to retry yet")
            return None
        turns = session.conversation.turns
        if turns and turns[-1].prompt == prompt:
            self._drop_last()
        if _greedy(session.settings):
            self.say(
                "the model decodes greedily here (temperature 0): the same question gets the "
                "same answer; for another, start the session with --temperature 0.7"
            )
        return session.ask(prompt)

    def undo(self, argument: str) -> None:
        if not self.session.conversation.turns:
            self.say("nothing to undo")
            return
        turn = self._drop_last()
        from streamcli.sinks.present import one_line, shorten

        # /retry now means the question before it (if any), never the one dropped
        turns = self.session.conversation.turns
        self.session.last_prompt = turns[-1].prompt if turns else None
        self.say(f"dropped: {shorten(one_line(turn.prompt), 60)}")

    def _drop_last(self) -> Turn:
        session = self.session
        turn = session.conversation.turns.pop()
        if turn.exchange is not None and session.opener is not None:
            exchange = turn.exchange
            self._with_history(lambda history: history.forget(exchange))
        return turn

    def history(self, argument: str) -> None:
        from streamcli.history.view import summary_table

        summaries = self._with_history(lambda history: history.summaries(20))
        if summaries is None:
            return
        if not summaries:
            self.say("the history is empty")
            return
        columns, _ = self.session.env.terminal_size()
        self.say(summary_table(summaries, columns))

    def load(self, argument: str) -> None:
        from streamcli.interactive.dialogue import Dialogue
        from streamcli.options import BadValue, checked
        from streamcli.sources.chat.flags import ChatFlags

        try:
            number = checked(ChatFlags, "conversation", int(argument), where="/load ID")
        except ValueError as exc:  # BadValue: out of range
            why = exc if isinstance(exc, BadValue) else "/load ID: give a conversation's number"
            self.say(f"{why} (/history lists them)")
            return

        def read(history: History) -> tuple[list[Message], str | None] | None:
            return history.earlier(number) if history.exists(number) else None

        found = self._with_history(read)
        if found is None:
            self.say(f"there is no conversation {number} (/history lists them)")
            return
        earlier, system = found
        session = self.session
        session.conversation = Dialogue(number, earlier)
        if system is not None:
            session.settings = dataclasses.replace(session.settings, system=system)
        asked = sum(1 for m in earlier if m.get("role") == "user")
        self.say(f"conversation {number}: {asked} question{'s' if asked != 1 else ''} loaded")

    def _with_history(self, action: Callable[[History], _R]) -> _R | None:
        """`action` on the history database; None after saying why it failed."""
        import sqlite3

        try:
            history = self.session.history_db()
        except StreamcliError as exc:
            self.say(exc.message)
            return None
        try:
            return action(history)
        except (StreamcliError, sqlite3.Error) as exc:
            self.say(getattr(exc, "message", None) or f"cannot read the history: {exc}")
            return None
        finally:
            history.close()

    def save(self, argument: str) -> None:
        from streamcli.interactive.markdown import conversation_markdown

        if not argument:
            self.say("/save FILE: name the file to write")
            return
        path = Path(argument).expanduser()
        text = conversation_markdown(self.session.conversation, self.session.settings.system)
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            self.say(f"cannot write {path}: {exc.strerror or exc}")
            return
        self.say(f"saved to {path}")

    def tools(self, argument: str) -> None:
        toolbox = self.session.toolbox
        if toolbox is None or not toolbox.tools:
            self.say("no tools are offered (start the session with --tool NAME or --mcp NAME)")
            return
        offers = [(offer["name"], offer.get("description", "")) for offer in toolbox.offers()]
        self.say("\n".join(present.tool_list(offers)))

    def stats(self, argument: str) -> None:
        on = self._switch("/stats", argument)
        if on is not None:
            output = dataclasses.replace(self.session.output, stats=on)
            self.session.output = output

    def reasoning(self, argument: str) -> None:
        on = self._switch("/reasoning", argument)
        if on is not None:
            output = dataclasses.replace(self.session.output, hide_reasoning=not on)
            self.session.output = output

    def _switch(self, name: str, argument: str) -> bool | None:
        if argument not in ("on", "off"):
            self.say(f"{name} on|off")
            return None
        self.say(f"{name[1:]}: {argument}")
        return argument == "on"

    def edit(self, argument: str) -> int | None:
        from streamcli.interactive.editor import edit_text

        try:
            self.session.modes.restore()
            try:
                text = edit_text(argument, self.session.env.environ)
            finally:
                self.session.modes.quiet()
        except StreamcliError as exc:
            self.say(exc.message)
            return None
        if not text.strip():
            self.say("nothing to send")
            return None
        return self.session.ask(text)


def _greedy(settings: ChatSettings) -> bool:
    """Whether answers are decoded greedily: temperature 0, or the bundled model's default."""
    if settings.temperature is not None:
        return settings.temperature == 0
    return settings.provider is None and not settings.model
