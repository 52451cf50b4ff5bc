"""The loop of an interactive session: read a question or a command, answer it, again,
until the user leaves.

Ctrl-C during an answer stops that answer (the pipeline keeps what arrived, marked
interrupted) and returns to the prompt; SIGTERM or SIGHUP end the session (143, 129) once
the turn in flight is saved; Ctrl-D on an empty line, `/exit` or `/quit` end it with
status 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
from collections.abc import Iterator

from streamcli import errors
from streamcli.env import Environment
from streamcli.errors import StreamcliError
from streamcli.interactive.commands import Commands, Leave
from streamcli.interactive.prompt import echo_whole
from streamcli.interactive.session import ChatSession, open_session
from streamcli.signals import STOP_STATUSES, Stopped, signal_handlers
from streamcli.sinks import OutputOptions
from streamcli.sources.chat.flags import ChatFlags

# Threads take turns with the GIL every millisecond, not five: when Enter is pressed the
# thread that sends the request is not kept waiting while the main thread draws.
SWITCH_INTERVAL = 0.001
GREETING = "Enter sends, Alt-Enter starts a new line, /help lists the commands, Ctrl-D leaves."
LEAVING = tuple(STOP_STATUSES.values())  # a turn ended by one of these ends all


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
        return run(session, first)
    except KeyboardInterrupt:  # while starting, before the prompt takes Ctrl-C as a key
        return errors.INTERRUPTED
    finally:
        session.close()


def run(session: ChatSession, first: str | None) -> int:
    """Answer `first` (if given), then each question typed, until the user leaves; the
    exit status."""
    with _leaving_signals(session):  # before the terminal is changed: it is put back
        try:
            session.modes.quiet()  # from now on, what is typed waits for the prompt, as typed
            threading.Thread(target=session.warm, name="streamcli-warm", daemon=True).start()
            return _loop(session, first)
        except Stopped as stop:
            return stop.status
        finally:
            session.modes.restore()


def _loop(session: ChatSession, first: str | None) -> int:
    commands = Commands(session)
    prompt = session.prompt = commands.input_line()
    if first is None:
        session.say(GREETING)
    sys.setswitchinterval(SWITCH_INTERVAL)
    loop = asyncio.new_event_loop()  # one for every prompt of the session
    try:
        text = first
        while True:
            if text is not None and text.strip():
                try:
                    is_command = text.lstrip().startswith("/")
                    status = commands.run(text) if is_command else session.ask(text)
                except Leave:
                    return errors.OK
                except KeyboardInterrupt:  # outside an answer (in a command, say)
                    session.say("(interrupted)")
                    status = errors.INTERRUPTED
                finally:
                    session.discard_early()
                if status in LEAVING:
                    return status
            try:
                text = loop.run_until_complete(prompt.prompt_async())
                echo_whole(prompt, text)
            except EOFError:
                return errors.OK
            except KeyboardInterrupt:
                text = None
    finally:
        loop.close()


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
