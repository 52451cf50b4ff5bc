"""Whether `streamcli chat` opens an interactive session, and why it may not."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from streamcli.env import Environment
    from streamcli.sinks import OutputOptions
    from streamcli.sources.chat.flags import ChatFlags


def wants_session(flags: ChatFlags, words: list[str], env: Environment) -> bool:
    """`-i`, or no prompt while stdin and stdout are terminals (nothing can be piped)."""
    return flags.interactive or (not words and env.stdin_isatty and env.stdout_isatty)


def refusal(env: Environment, output: OutputOptions) -> str | None:
    """Why a session cannot be opened here (the one-line error), or None."""
    if output.json:
        return (
            "--json needs a prompt and no -i: a session shows its answers on the "
            'terminal (streamcli chat "…" --json)'
        )
    if not (env.stdin_isatty and env.stdout_isatty):
        return (
            "--interactive needs a terminal on stdin and stdout "
            "(without it, a prompt or piped text is answered once)"
        )
    return None
