"""A session in a real pty against a fake OpenAI-compatible server, typed as a person would."""

from __future__ import annotations

import os
from pathlib import Path

from chat_support import CHAT_VARIABLES
from ptyterm import PtyTerminal
from servers import FakeServer

PROMPT = "m>"


def session_env(home: Path, **extra: str) -> dict[str, str]:
    env = {name: "" for name in CHAT_VARIABLES}
    env.update(
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_STATE_HOME=str(home / "state"),
        OPENAI_API_KEY="sk-test-0123456789",
        NO_PROXY="*",
        VISUAL="",
        EDITOR="",
    )
    env.update(extra)
    return env


def open_session(
    server: FakeServer, home: Path, *args: str, columns: int = 80, rows: int = 24, **env: str
) -> PtyTerminal:
    """`streamcli chat -m m` on a terminal (a session); its current directory is empty."""
    cwd = home / "work"
    cwd.mkdir(parents=True, exist_ok=True)
    argv = ["chat", "-m", "m", "--base-url", server.url + "/v1", *args]
    term = PtyTerminal(argv, env=session_env(home, **env), cwd=str(cwd), columns=columns, rows=rows)
    answer_cursor_requests(term)
    return term


def answer_cursor_requests(term: PtyTerminal) -> None:
    """Answer ESC[6n with the cursor's position, as a real terminal does (pyte computes
    the answer; prompt_toolkit asks, to know the room below the prompt)."""
    term.screen.write_process_input = lambda data: os.write(term._master, data.encode())


def prompts(term: PtyTerminal) -> int:
    """How many prompts have been shown (each input line starts with one)."""
    return sum(1 for line in term.lines() if line.startswith(PROMPT))


def wait_prompt(term: PtyTerminal, count: int) -> None:
    """Wait for the `count`-th prompt, empty and ready for input."""
    term.wait_for(
        lambda t: prompts(t) >= count and t.display()[t.screen.cursor.y] == PROMPT,
        what=f"prompt number {count}",
    )


def type_line(term: PtyTerminal, text: str) -> None:
    """Type `text` and press Enter."""
    term.write(text.encode() + b"\r")
