"""From `streamcli chat`'s flags and environment to a ready source (HTTP or local), and
the taps that go with it (the history recorder)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from streamcli.config import load_config
from streamcli.env import Environment
from streamcli.errors import BadInput
from streamcli.history.conversation import open_conversation
from streamcli.pipeline import Source
from streamcli.sinks.base import Sink
from streamcli.sources.chat.request import join_prompt
from streamcli.sources.chat.settings import ChatFlags, ChatSettings, open_chat, resolve

if TYPE_CHECKING:
    from streamcli.tools.toolbox import Toolbox

__all__ = ["ChatFlags", "load_toolbox", "open_chat_command", "read_piped"]


def read_piped(env: Environment) -> str | None:
    """What was piped on stdin (None when stdin is a terminal)."""
    if env.stdin_isatty or env.stdin_closed:
        return None
    try:
        data = env.stdin.read()
    except (OSError, ValueError):  # closed or not readable: nothing was piped
        return None
    text = data.decode("utf-8", "replace")
    return text[1:] if text.startswith("\ufeff") else text


def open_chat_command(
    flags: ChatFlags, words: list[str], env: Environment
) -> tuple[Source, list[Sink]]:
    """Settle the settings, read the prompt, load the tools, find the conversation, and
    open the source (or raise `BadInput`)."""
    config = load_config(env.environ)
    # Tools need a server: no falling back to the local model when they are asked for.
    fallback = None if flags.tools or flags.mcp else env.stderr
    settings = resolve(flags, env.environ, config, fallback)
    prompt = join_prompt(words, read_piped(env))
    if not prompt.strip():
        raise BadInput('nothing to ask: give a prompt (streamcli chat "…") or pipe text on stdin')
    toolbox = load_toolbox(flags, env, settings)
    try:
        return _open(flags, env, settings, prompt, toolbox)
    except BaseException:
        if toolbox is not None:
            toolbox.close()  # the MCP servers it started
        raise


def load_toolbox(flags: ChatFlags, env: Environment, settings: ChatSettings) -> Toolbox | None:
    """The tools the flags offer (starting the MCP servers they name), or None.

    The local model calls no tools: asking it for some is `BadInput`, raised before any
    server starts, and the MCP file's default servers are not started for it."""
    from streamcli.tools.mcp.config import wants_servers

    if settings.provider is None:
        if flags.tools or flags.mcp:
            flag = "--tool" if flags.tools else "--mcp"
            raise BadInput(
                f"{flag}: the local model cannot call tools; use ollama, openai or anthropic"
            )
        return None
    if not (flags.tools or flags.mcp or wants_servers(flags.mcp_config, env.environ)):
        return None
    from streamcli.tools.toolbox import Toolbox

    limits: dict[str, Any] = {"approve": flags.approve}
    if flags.tool_timeout is not None:
        limits["timeout"] = flags.tool_timeout
    if flags.max_tool_rounds is not None:
        limits["max_rounds"] = flags.max_tool_rounds
    return Toolbox.load(
        flags.tools,
        flags.tools_file,
        env.environ,
        servers=flags.mcp,
        servers_file=flags.mcp_config,
        **limits,
    )


def _open(
    flags: ChatFlags,
    env: Environment,
    settings: ChatSettings,
    prompt: str,
    toolbox: Toolbox | None,
) -> tuple[Source, list[Sink]]:
    conversation = open_conversation(
        flags.continue_last, flags.conversation, flags.no_history, env.environ
    )
    if flags.system is None and conversation.system is not None:
        settings = dataclasses.replace(settings, system=conversation.system)
    source = open_chat(settings, prompt, env, conversation.earlier, toolbox)
    recorder = conversation.recorder(prompt, settings.system, env.stderr)
    return source, [recorder] if recorder is not None else []
