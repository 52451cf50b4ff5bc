"""An interactive chat session: read a question, stream its answer, again, until the user
leaves.

The session settles the chat's settings, tools and conversation once; each turn sends the
earlier turns with its question through a client that keeps its connection alive, and is
saved in the history as it completes (the whole session is one conversation). Ctrl-C
during an answer stops that answer (the pipeline keeps what arrived, marked interrupted)
and returns to the prompt; SIGTERM or SIGHUP end the session (143, 129) once the turn in
flight is saved; Ctrl-D on an empty line, `/exit` or `/quit` end it with status 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from streamcli import errors
from streamcli.env import Environment
from streamcli.errors import BadInput, StreamcliError
from streamcli.history.conversation import open_conversation
from streamcli.interactive.dialogue import Dialogue, Turn
from streamcli.interactive.terminal import TerminalModes
from streamcli.pipeline import Source, Stopped
from streamcli.signals import STOP_STATUSES, first_ctrl_c_ignored, signal_handlers
from streamcli.sinks import OutputOptions
from streamcli.sinks.base import Sink
from streamcli.sources.chat.flags import ChatFlags
from streamcli.sources.chat.settings import ChatSettings

if TYPE_CHECKING:
    from prompt_toolkit import PromptSession

    from streamcli.history.store import History
    from streamcli.sources.chat.protocols.http import Http
    from streamcli.tools.toolbox import Toolbox

# Threads take turns with the GIL every millisecond, not five: when Enter is pressed the
# thread that sends the request is not kept waiting while the main thread draws.
SWITCH_INTERVAL = 0.001
GREETING = "Enter sends, Alt-Enter starts a new line, /help lists the commands, Ctrl-D leaves."
LEAVING = tuple(STOP_STATUSES.values())  # a turn ended by one of these ends all


class ChatSession:
    """A session: its settings, tools, client and conversation, and the loop that reads
    questions and streams their answers."""

    def __init__(
        self,
        flags: ChatFlags,
        env: Environment,
        output: OutputOptions,
        settings: ChatSettings,
        toolbox: Toolbox | None,
        conversation: Dialogue,
    ) -> None:
        self.flags = flags
        self.env = env
        self.output = output
        self.settings = settings
        self.toolbox = toolbox
        self.conversation = conversation
        self.opener: Callable[[], History] | None = None if flags.no_history else self.history_db
        self.last_prompt: str | None = None
        self._http: Http | None = None
        self._recording: BinaryIO | None = None
        self._local: Any = None  # the local model, loaded once
        self.modes = TerminalModes(env.stdin.fileno())
        self._http_lock = threading.Lock()
        self._early: tuple[str, Source] | None = None
        self.prompt: PromptSession[str] | None = None  # the input line, once made

    # -- the loop --------------------------------------------------------------------

    def run(self, first: str | None) -> int:
        """Answer `first` (if given), then each question typed, until the user leaves;
        the exit status."""
        with _leaving_signals(self):  # before the terminal is changed: it is put back
            try:
                self.modes.quiet()  # from now on, what is typed waits for the prompt, as typed
                threading.Thread(target=self._warm, name="streamcli-warm", daemon=True).start()
                return self._loop(first)
            except Stopped as stop:
                return stop.status
            finally:
                self.modes.restore()

    def _loop(self, first: str | None) -> int:
        from streamcli.interactive.commands import Commands, Leave

        commands = Commands(self)
        prompt = self.prompt = commands.input_line()
        if first is None:
            self.say(GREETING)
        sys.setswitchinterval(SWITCH_INTERVAL)
        loop = asyncio.new_event_loop()  # one for every prompt of the session
        try:
            text = first
            while True:
                if text is not None and text.strip():
                    try:
                        is_command = text.lstrip().startswith("/")
                        status = commands.run(text) if is_command else self.ask(text)
                    except Leave:
                        return errors.OK
                    except KeyboardInterrupt:  # outside an answer (in a command, say)
                        self.say("(interrupted)")
                        status = errors.INTERRUPTED
                    finally:
                        self._discard_early()
                    if status in LEAVING:
                        return status
                try:
                    text = loop.run_until_complete(prompt.prompt_async())
                except EOFError:
                    return errors.OK
                except KeyboardInterrupt:
                    text = None
        finally:
            loop.close()

    def ask(self, prompt: str) -> int:
        """One turn: stream the answer to `prompt` and keep it in the conversation."""
        from streamcli.interactive.turn import TurnTap, run_turn

        self.last_prompt = prompt
        early, self._early = self._early, None
        try:
            source = early[1] if early and early[0] == prompt else self._source(prompt)
        except StreamcliError as exc:
            errors.report(self.env.stderr, exc.message)
            return exc.exit_code
        tap = TurnTap()
        recorder = None
        if self.opener is not None:
            from streamcli.history.recorder import HistoryRecorder

            recorder = HistoryRecorder(
                self.opener,
                self.conversation.id,
                prompt=prompt,
                system=self.settings.system,
                stderr=self.env.stderr,
            )
        taps: list[Sink] = [tap] + ([recorder] if recorder is not None else [])
        if self._recording is not None:
            from streamcli.sinks.jsonl import JsonlSink

            taps.append(JsonlSink(self._recording, label="the recording"))
        status = run_turn(source, self.env, self.output, taps, self.modes)
        with first_ctrl_c_ignored():  # the answer is over: what it adds is kept whole
            if recorder is not None and recorder.conversation is not None:
                self.conversation.id = recorder.conversation
            if tap.model and not self.settings.model and self.settings.provider is not None:
                # the server's only one: named in the next requests (no listing each turn)
                self.settings = dataclasses.replace(self.settings, model=tap.model)
            messages = tap.messages()
            if messages is not None:
                exchange = recorder.exchange if recorder is not None else None
                self.conversation.turns.append(Turn(prompt, messages, exchange))
        return status

    def start_early(self, text: str) -> None:
        """Enter was pressed on `text`: a question (not a command) to a server is sent now,
        while the prompt closes; `ask` takes it over."""
        self._discard_early()
        if not text.strip() or text.lstrip().startswith("/") or self.settings.provider is None:
            return
        from streamcli.interactive.turn import EarlyStart

        try:
            self._early = (text, EarlyStart(self._source(text)))
        except StreamcliError:
            return  # `ask` tries again and says why

    def _discard_early(self) -> None:
        early, self._early = self._early, None
        if early is not None:
            early[1].close()

    def say(self, text: str) -> None:
        """A line for the user on the terminal."""
        self.env.stdout.write(text.encode() + b"\n")
        self.env.stdout.flush()

    def _source(self, prompt: str) -> Source:
        earlier = self.conversation.messages()
        if self.settings.provider is None:
            from streamcli.interactive.local import local_turn

            self._local, source = local_turn(self, prompt, earlier, self._local)
            return source
        from streamcli.sources.chat.settings import open_chat

        return open_chat(self.settings, prompt, self.env, earlier, self.toolbox, self.http)

    # -- what the session holds ------------------------------------------------------

    @property
    def model_name(self) -> str:
        """The model asked, as the prompt shows it."""
        model = self.settings.model
        if self.settings.provider is not None:
            return model or self.settings.provider.name
        if model:  # a GGUF file: its name, not its whole path
            return Path(model).name
        from streamcli.sources.chat.local.bundled import NAME

        return NAME

    @property
    def http(self) -> Http:
        """The client of every turn, its connection kept alive between them."""
        with self._http_lock:
            if self._http is None:
                from streamcli.sources.chat.protocols.http import Http

                limits = self.settings.limits
                self._http = Http(limits.connect_timeout, limits.read_backstop, keepalive=True)
            return self._http

    def _warm(self) -> None:
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
                self.http  # noqa: B018 - made now, used by every turn

    def history_db(self) -> History:
        """The history database, opened (raises `HistoryError`)."""
        from streamcli.history.store import History, history_path

        return History.open(history_path(self.env.environ))

    def unload_local(self) -> None:
        """Free the local model (the session ends, or `/model` names another)."""
        local, self._local = self._local, None
        if local is not None:
            with contextlib.suppress(Exception):
                local.llm.close()

    def record_to(self, recording: BinaryIO) -> None:
        self._recording = recording

    def close(self) -> None:
        """Close the client, the recording, the local model and the tools."""
        if self._http is not None:
            self._http.close()
        if self._recording is not None:
            with contextlib.suppress(OSError):
                self._recording.close()
        self.unload_local()
        if self.toolbox is not None:  # the MCP servers it started
            self.toolbox.close()


def run_session(flags: ChatFlags, words: list[str], env: Environment, output: OutputOptions) -> int:
    """`streamcli chat` as a session (answering `words` first when given); the exit status."""
    from streamcli.interactive.start import refusal

    problem = refusal(env, output)
    if problem is not None:
        errors.report(env.stderr, problem)
        return errors.USAGE
    try:
        session = open_session(flags, env, output)
    except StreamcliError as exc:
        errors.report(env.stderr, exc.message)
        return exc.exit_code
    except KeyboardInterrupt:
        return errors.INTERRUPTED
    try:
        first = " ".join(words) if words else None
        return session.run(first)
    except KeyboardInterrupt:  # while starting, before the prompt takes Ctrl-C as a key
        return errors.INTERRUPTED
    finally:
        session.close()


def open_session(flags: ChatFlags, env: Environment, output: OutputOptions) -> ChatSession:
    """Settle the settings, load the tools, find the conversation (or raise `BadInput`)."""
    from streamcli.config import load_config
    from streamcli.sources.chat.command import load_toolbox
    from streamcli.sources.chat.settings import resolve

    config = load_config(env.environ)
    # Tools need a server: no falling back to the local model when they are asked for.
    fallback = None if flags.tools or flags.mcp else env.stderr
    settings = resolve(flags, env.environ, config, fallback)
    found = open_conversation(flags.continue_last, flags.conversation, True, env.environ)
    if flags.system is None and found.system is not None:
        settings = dataclasses.replace(settings, system=found.system)
    toolbox = load_toolbox(flags, env, settings)  # MCP servers start: closed on any failure
    try:
        conversation = Dialogue(found.id, found.earlier)
        session = ChatSession(flags, env, output, settings, toolbox, conversation)
        if output.record is not None:
            try:
                session.record_to(open(output.record, "wb"))  # noqa: SIM115 - the session closes it
            except OSError as exc:
                raise BadInput(
                    f"cannot write the recording {output.record}: {exc.strerror or exc}"
                ) from None
    except BaseException:
        if toolbox is not None:
            toolbox.close()
        raise
    return session


@contextlib.contextmanager
def _leaving_signals(session: ChatSession) -> Iterator[None]:
    """SIGTERM and SIGHUP end the session: at the prompt, the input line leaves through
    its event loop (which the signal wakes); during a turn the pipeline handles them,
    and the turn ends with their status."""

    def stop(signum: int, frame: object) -> None:
        app = session.prompt.app if session.prompt is not None else None
        loop = app.loop if app is not None else None
        if app is not None and app.is_running and loop is not None and not loop.is_closed():
            leave = Stopped(STOP_STATUSES[signum])

            def exit_app() -> None:
                if app.is_running and not app.future.done():  # type: ignore[union-attr]
                    app.exit(exception=leave)

            loop.call_soon_threadsafe(exit_app)
            return
        raise Stopped(STOP_STATUSES[signum])

    with signal_handlers(stop, *STOP_STATUSES):
        yield
