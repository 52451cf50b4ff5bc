"""From `streamcli chat`'s flags and environment to a ready source (HTTP or local)."""

from __future__ import annotations

from streamcli.config import load_config
from streamcli.env import Environment
from streamcli.errors import BadInput
from streamcli.pipeline import Source
from streamcli.sources.chat.fallback import choose_local
from streamcli.sources.chat.request import join_prompt
from streamcli.sources.chat.settings import ChatFlags, chat_request, open_chat, resolve

__all__ = ["ChatFlags", "open_chat_command", "read_piped"]


def read_piped(env: Environment) -> str | None:
    """What was piped on stdin (None when stdin is a terminal)."""
    if env.stdin_isatty:
        return None
    try:
        data = env.stdin.read()
    except (OSError, ValueError):  # closed or not readable: nothing was piped
        return None
    text = data.decode("utf-8", "replace")
    return text[1:] if text.startswith("\ufeff") else text


def open_chat_command(flags: ChatFlags, words: list[str], env: Environment) -> Source:
    """Settle the settings, read the prompt, and open the source (or raise `BadInput`)."""
    config = load_config(env.environ)
    settings = resolve(flags, env.environ, config)
    prompt = join_prompt(words, read_piped(env))
    if not prompt.strip():
        raise BadInput('nothing to ask: give a prompt (streamcli chat "…") or pipe text on stdin')
    settings = choose_local(settings, flags, env.environ, config, env.stderr)
    if settings.provider.name == "local":
        from streamcli.sources.chat.local import open_local

        return open_local(chat_request(settings, prompt), environ=env.environ, stderr=env.stderr)
    return open_chat(settings, prompt)
