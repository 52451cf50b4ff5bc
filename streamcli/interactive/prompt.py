"""The input line of a session, with prompt_toolkit: Enter sends; Alt-Enter and Ctrl-J
insert a newline; a bracketed paste is one message however many lines it has; Ctrl-C
clears the line; Ctrl-D on an empty line ends the session; ↑/↓ and Ctrl-R recall earlier
inputs, kept across sessions (`InputHistory`); Ctrl-X Ctrl-E opens $VISUAL/$EDITOR; Tab
completes the slash commands and, after `/model `, the model names."""

from __future__ import annotations

import bisect
import contextlib
import datetime
import itertools
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

from prompt_toolkit import PromptSession, print_formatted_text
from prompt_toolkit.application import run_in_terminal
from prompt_toolkit.completion import CompleteEvent, Completer, Completion, ThreadedCompleter
from prompt_toolkit.document import Document
from prompt_toolkit.filters import emacs_insert_mode, is_searching, vi_insert_mode
from prompt_toolkit.formatted_text import FormattedText, StyleAndTextTuples, to_formatted_text
from prompt_toolkit.formatted_text.utils import fragment_list_to_text
from prompt_toolkit.history import FileHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.key_binding.bindings.basic import if_no_repeat
from prompt_toolkit.keys import Keys
from prompt_toolkit.layout.processors import Processor, Transformation, TransformationInput
from prompt_toolkit.styles import Style
from prompt_toolkit.utils import get_cwidth

from streamcli.paths import open_private, state_dir
from streamcli.sanitize import is_plain, shown_per_character

CTRL_C_HINT = "(Ctrl-D or /exit ends the session)"
RECALLED = 10_000  # inputs of earlier sessions that ↑ and Ctrl-R reach
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def input_history_path(environ: Mapping[str, str]) -> Path:
    """`$XDG_STATE_HOME/streamcli/input_history` (`~/.local/state/streamcli/…`)."""
    return state_dir(environ) / "input_history"


class InputHistory(FileHistory):
    """The inputs of earlier sessions, in a file readable by its owner alone (inputs may
    hold secrets); with `write` False (`--no-history`) they are recalled, never stored.
    A symbolic link in its place is never followed: `refused` says so, and the session
    goes on without the file."""

    def __init__(self, path: Path, *, write: bool = True) -> None:
        super().__init__(str(path))
        self.path = path
        self.write = write
        self.refused: str | None = None
        if path.is_symlink():
            self.refused = (
                f"the input history {path} is a symbolic link: not read or written "
                "(remove it to keep the inputs again)"
            )

    def load_history_strings(self) -> Iterable[str]:
        """The newest `RECALLED` inputs, newest first."""
        if self.refused:
            return []
        try:
            with os.fdopen(os.open(self.path, os.O_RDONLY | _NOFOLLOW), "rb") as file:
                data = file.read()
        except OSError:  # missing, unreadable or a link: start afresh, the session goes on
            return []
        strings: list[str] = []
        for entry in data.decode("utf-8", "replace").split("\n#"):
            lines = [line[1:] for line in entry.split("\n") if line.startswith("+")]
            if lines:
                strings.append("\n".join(lines))
        return strings[::-1][:RECALLED]

    def store_string(self, string: str) -> None:
        if not self.write or self.refused:
            return
        with contextlib.suppress(OSError):  # a convenience, never a failure of the chat
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            with os.fdopen(open_private(self.path), "ab") as file:
                entry = "".join(f"+{line}\n" for line in string.split("\n"))
                file.write(f"\n# {datetime.datetime.now()}\n{entry}".encode())


class SlashCompleter(Completer):
    """Completes a slash command at the start of the input (with a space after those in
    `arguments`, which take one), and a model after `/model `."""

    def __init__(
        self,
        commands: Iterable[str],
        models: Callable[[], list[str]],
        arguments: Iterable[str] = (),
    ) -> None:
        self.commands = sorted(commands)
        self.models = models
        self.arguments = set(arguments)

    def get_completions(self, document: Document, event: CompleteEvent) -> Iterator[Completion]:
        text = document.text_before_cursor
        if not text.startswith("/") or "\n" in text:
            return
        if " " not in text:
            for name in self.commands:
                if name.startswith(text):
                    space = " " if name in self.arguments else ""
                    yield Completion(name + space, -len(text), display=name)
            return
        command, _, word = text.partition(" ")
        if command == "/model" and " " not in word:
            for name in self.models():
                if name.startswith(word):
                    yield Completion(name, -len(word))


class ShowEscapes(Processor):
    """The input line shows what the terminal must not get raw (a pasted U+202E, a
    zero-width space) as its escape, as everywhere else; the text itself is kept exact."""

    def apply_transformation(self, ti: TransformationInput) -> Transformation:
        fragments = ti.fragments
        text = "".join(fragment[1] for fragment in fragments)
        if is_plain(text):
            return Transformation(fragments)
        pieces = shown_per_character(text)
        starts = list(itertools.accumulate(map(len, pieces), initial=0))  # on screen
        shown: StyleAndTextTuples = []
        index = 0
        for fragment in fragments:
            end = index + len(fragment[1])
            shown.append((fragment[0], "".join(pieces[index:end])))
            index = end

        def to_display(column: int) -> int:
            if column < len(text):
                return starts[column]
            return starts[-1] + column - len(text)

        def to_source(column: int) -> int:
            if column < starts[-1]:
                return bisect.bisect_right(starts, column) - 1
            return len(text) + column - starts[-1]

        return Transformation(shown, to_display, to_source)


def key_bindings(on_enter: Callable[[str], None] | None = None) -> KeyBindings:
    """Enter sends (or takes the completion chosen); Alt-Enter and Ctrl-J insert a newline;
    Ctrl-C clears the line (on an empty one: how to leave). `on_enter` is told the text
    at once, before the prompt closes (so the question can be on its way meanwhile)."""
    bindings = KeyBindings()

    @bindings.add("enter", filter=~is_searching)  # while searching: take the match
    def _send(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        if buffer.complete_state and buffer.complete_state.current_completion:
            buffer.apply_completion(buffer.complete_state.current_completion)
            return
        if on_enter is not None:
            on_enter(buffer.text)
        info = event.app.layout.current_window.render_info
        if info is not None and info.content_height > info.window_height:
            event.app.erase_when_done = True  # drawn in part: `echo_whole` writes it all
        buffer.validate_and_handle()

    @bindings.add("escape", "enter")
    @bindings.add("c-j")
    def _newline(event: KeyPressEvent) -> None:
        event.current_buffer.insert_text("\n")

    @bindings.add(Keys.Any, filter=vi_insert_mode | emacs_insert_mode, save_before=if_no_repeat)
    def _insert(event: KeyPressEvent) -> None:
        """A typed character, with the characters already read after it, in one insertion:
        one by one, each looked up the key bindings and copied the whole text again, so a
        flood typed without bracketed paste (a paste in a terminal without it) took
        ~0.2 ms a character and more as the text grew (100k characters: 36 s)."""
        event.current_buffer.insert_text(event.data * event.arg + _typed_after(event))

    @bindings.add("c-c", filter=~is_searching)  # while searching: stop searching
    def _clear(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        if buffer.text:
            buffer.reset()
        else:
            run_in_terminal(lambda: print(CTRL_C_HINT))

    return bindings


def _typed_after(event: KeyPressEvent) -> str:
    """The plain characters waiting right after this key, taken off the input queue: in
    insert mode, with no argument pending (Esc 5 a) and no macro being recorded, no
    binding but self-insertion applies to them (the few on a printable character, like
    the digits of an argument or `/` in a read-only buffer, need an argument or a
    read-only buffer). Stops at the first other key: Enter, Tab, an escape sequence."""
    app = event.app
    if event.arg != 1 or app.emacs_state.is_recording or app.vi_state.recording_register:
        return ""
    waiting = event.key_processor.input_queue
    taken: list[str] = []
    while waiting and type(waiting[0].key) is str and len(waiting[0].key) == 1:
        taken.append(waiting.popleft().data)
    return "".join(taken)


def echo_whole(session: PromptSession[str], text: str) -> None:
    """Write a sent input whole, as the prompt shows it, when the prompt drew only the rows
    that fit on the screen (and erased them when it closed): scrolling back then shows it
    from its first line."""
    if not session.app.erase_when_done:
        return
    session.app.erase_when_done = False
    message = session.message() if callable(session.message) else session.message
    label = to_formatted_text(message)
    indent = "\n" + " " * get_cwidth(fragment_list_to_text(label))
    shown = indent.join("".join(shown_per_character(line)) for line in text.split("\n"))
    print_formatted_text(
        FormattedText([*label, ("", shown)]), style=session.style, output=session.app.output
    )


def input_line(
    label: Callable[[], str],
    history: InputHistory,
    completer: Completer,
    on_enter: Callable[[str], None] | None = None,
) -> PromptSession[str]:
    """The prompt: `label` (the model) and `> `; continuation lines indented to match."""

    def message() -> FormattedText:
        return FormattedText([("class:model", label()), ("", "> ")])

    def continuation(width: int, line: int, wrapped: int) -> str:
        return " " * width

    return PromptSession(
        message=message,
        multiline=True,
        key_bindings=key_bindings(on_enter),
        history=history,
        completer=ThreadedCompleter(completer),
        complete_while_typing=False,
        enable_open_in_editor=True,
        prompt_continuation=continuation,
        input_processors=[ShowEscapes()],
        style=Style.from_dict({"model": "ansicyan"}),
        mouse_support=False,
    )
