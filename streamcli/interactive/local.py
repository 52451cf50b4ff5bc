"""A session with the local model: loaded once, for every turn."""

from __future__ import annotations

from typing import TYPE_CHECKING

from streamcli.pipeline import Source
from streamcli.sources.chat.request import flatten_tools
from streamcli.sources.chat.settings import chat_request
from streamcli.transcript import Message

if TYPE_CHECKING:
    from streamcli.interactive.session import ChatSession
    from streamcli.sources.chat.local.source import LocalModel


def local_turn(
    session: ChatSession, prompt: str, earlier: list[Message], loaded: LocalModel | None
) -> tuple[LocalModel, Source]:
    """The source of one turn with the local model, loading it on the first."""
    from streamcli.sources.chat.local.source import LocalSource, open_local

    request = chat_request(session.settings, prompt, flatten_tools(earlier))
    if loaded is None:
        env = session.env
        progress = env.stderr_isatty and not env.dumb_terminal
        source = open_local(request, environ=env.environ, stderr=env.stderr, progress=progress)
    else:
        source = LocalSource(loaded, request)
    source.keep_loaded = True
    return source.model, source
