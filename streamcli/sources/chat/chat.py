"""A chat, settled once: what every front end builds its answers from.

`Chat.open` settles the settings (flags, then environment, then the config file), decides
the tools and starts the MCP servers they name; `answer` gives the source that streams one
answer (with the history tap that stores it); `models` lists what the provider offers.
One-shot `chat`, an interactive session and `serve` all go through here, so a new setting,
tool source or tap is a change in one place. Closing a `Chat` stops its MCP servers,
closes its kept-alive HTTP client and unloads the local model.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from streamcli.config import load_config
from streamcli.errors import BadInput
from streamcli.sources.chat.flags import ChatFlags
from streamcli.sources.chat.settings import ChatSettings, chat_request, resolve
from streamcli.stream import Source
from streamcli.transcript import Message, Transcript

if TYPE_CHECKING:
    from types import TracebackType

    from streamcli.history.conversation import Conversation
    from streamcli.history.recorder import HistoryRecorder
    from streamcli.redact import Redactor
    from streamcli.sources.chat.local.source import LocalModel
    from streamcli.sources.chat.protocols.http import Clients
    from streamcli.tools.approval import Approver
    from streamcli.tools.toolbox import Toolbox


@dataclass
class Answer:
    """One answer on its way: the source that streams it (its `taps` include the history
    recorder), what it says so far, and the recorder (None: not stored)."""

    source: Source
    transcript: Transcript
    recorder: HistoryRecorder | None


class Chat:
    """A chat's settings and tools, and the clients its answers share."""

    def __init__(
        self,
        settings: ChatSettings,
        toolbox: Toolbox | None,
        environ: Mapping[str, str],
        *,
        keepalive: bool = False,
    ) -> None:
        """`keepalive`: answers lease HTTP clients kept alive between them, and the local
        model stays loaded (a session, a server)."""
        self.settings = settings
        self.toolbox = toolbox
        self.environ = environ
        self.keepalive = keepalive
        self._clients: Clients | None = None
        self._lock = threading.Lock()
        self._local: LocalModel | None = None
        self._redactors: dict[str | None, Redactor] = {}

    @classmethod
    def open(
        cls,
        flags: ChatFlags,
        environ: Mapping[str, str],
        *,
        notices: TextIO | None = None,
        keepalive: bool = False,
    ) -> Chat:
        """Settle everything `flags` leave open and start the tools they name, or raise
        `BadInput`/`StreamcliError` with nothing left running. With `notices` (where to
        say so), a guessed Ollama that cannot be reached gives way to the local model —
        unless tools are asked for, which need a server."""
        config = load_config(environ)
        fallback = None if flags.asks_for_tools else notices
        settings = resolve(flags, environ, config, fallback)
        toolbox = load_toolbox(flags, environ, settings)
        return cls(settings, toolbox, environ, keepalive=keepalive)

    def continuing(self, conversation: Conversation, flags: ChatFlags) -> None:
        """Continue `conversation`: its last system prompt, unless `--system` was given."""
        if flags.system is None and conversation.system is not None:
            self.settings = dataclasses.replace(self.settings, system=conversation.system)

    def answer(
        self,
        prompt: str,
        *,
        earlier: Sequence[Message] = (),
        conversation: Conversation | None = None,
        approver: Approver | None = None,
        settings: ChatSettings | None = None,
        stderr: TextIO,
        progress: bool = False,
    ) -> Answer:
        """The answer to `prompt` after the `earlier` messages: its source, stored in
        `conversation`'s history (None: not stored), its tool calls approved by `approver`
        (None: the toolbox's own), asked with `settings` (None: the chat's; a server's
        client may pick the model, say). `stderr` and `progress` are for the local model's
        loading (a spinner while it loads)."""
        settings = settings or self.settings
        request = chat_request(settings, prompt, list(earlier), self.toolbox)
        source: Any
        if settings.provider is None:
            source = self._local_source(request, stderr, progress)
        else:
            from streamcli.sources.chat.source import ChatSource

            source = ChatSource(
                settings.provider,
                request,
                settings.limits,
                key_source=settings.key_source,
                redactor=self.redactor(settings.provider.key),
                toolbox=self.toolbox.answering(approver) if self.toolbox else None,
                clients=self.clients if self.keepalive else None,
            )
        transcript: Transcript = source.transcript
        recorder = None
        if conversation is not None:
            recorder = conversation.recorder(prompt, settings.system, stderr, transcript)
        source.taps = [recorder] if recorder is not None else []
        return Answer(source, transcript, recorder)

    def models(self) -> list[str]:
        """The models the provider offers, sorted (the local model: the one in use); a
        `StreamcliError` says why they cannot be listed, as a chat would."""
        provider = self.settings.provider
        if provider is None:
            from streamcli.sources.chat.local.bundled import known_models

            return known_models(self.environ, self.settings.model)
        from streamcli.sources.chat.request import ChatRequest
        from streamcli.sources.chat.source import ChatSource

        lister = ChatSource(
            provider,
            ChatRequest.from_prompt("", None),
            self.settings.limits,
            key_source=self.settings.key_source,
            redactor=self.redactor(provider.key),
            clients=self.clients if self.keepalive else None,
        )
        return sorted(lister.list_models())

    def warm(self) -> None:
        """Do now what the first answer would do on first use (import the source and the
        HTTP client, make a client): a server's first requests would otherwise wait in
        turn for Python's import lock, a burst of them for seconds."""
        from streamcli.sources.chat import source  # noqa: F401
        from streamcli.tools import round  # noqa: F401

        if self.settings.provider is not None and self.keepalive:
            self.clients.warm()

    def redactor(self, key: str | None) -> Redactor:
        """What masks the keys streamcli knows of (`key`, the one in use, and those of the
        environment and the config's key files) in what a server or a tool says. Made once
        per key: finding them was a tenth of what setting up a server's answer cost."""
        from streamcli.redact import Redactor, known_secrets

        with self._lock:
            redactor = self._redactors.get(key)
            if redactor is None:
                redactor = self._redactors[key] = Redactor(known_secrets(self.environ, key))
            return redactor

    @property
    def clients(self) -> Clients:
        """The HTTP clients the answers lease, their connections kept alive between them."""
        with self._lock:
            if self._clients is None:
                from streamcli.sources.chat.protocols.http import Clients

                limits = self.settings.limits
                self._clients = Clients(limits.connect_timeout, limits.read_backstop)
            return self._clients

    def _local_source(self, request: Any, stderr: TextIO, progress: bool) -> Source:
        """The model in this process answers: loaded now, or once for every answer."""
        from streamcli.sources.chat.local.source import LocalSource, open_local

        if self._local is None:
            source = open_local(request, environ=self.environ, stderr=stderr, progress=progress)
            if self.keepalive:
                self._local = source.model
        else:
            source = LocalSource(self._local, request)
        source.keep_loaded = self.keepalive
        return source

    def unload_local(self) -> None:
        """Free the local model (a session names another, or the chat ends)."""
        local, self._local = self._local, None
        if local is not None:
            local.close()

    def close(self) -> None:
        """Close the client, unload the local model, stop the MCP servers; idempotent."""
        if self._clients is not None:
            self._clients.close()
        self.unload_local()
        if self.toolbox is not None:
            self.toolbox.close()

    def __enter__(self) -> Chat:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def load_toolbox(
    flags: ChatFlags, environ: Mapping[str, str], settings: ChatSettings
) -> Toolbox | None:
    """The tools the flags offer (starting the MCP servers they name), or None: the one
    place that decides a chat's tools.

    The local model calls no tools: asking it for some is `BadInput`, raised before any
    server starts, and the MCP file's default servers are not started for it."""
    from streamcli.tools.mcp.config import wants_servers

    if settings.provider is None:
        if flags.asks_for_tools:
            flag = "--tool" if flags.tools else "--mcp"
            raise BadInput(
                f"{flag}: the local model cannot call tools; use ollama, openai or anthropic"
            )
        return None
    if not (flags.asks_for_tools or wants_servers(flags.mcp_config, environ)):
        return None
    from streamcli.redact import Redactor, known_secrets
    from streamcli.tools.approval import Allow
    from streamcli.tools.toolbox import Toolbox

    limits: dict[str, Any] = {}
    if flags.approve:
        limits["approver"] = Allow()
    if flags.tool_timeout is not None:
        limits["timeout"] = flags.tool_timeout
    if flags.max_tool_rounds is not None:
        limits["max_rounds"] = flags.max_tool_rounds
    return Toolbox.load(
        flags.tools,
        flags.tools_file,
        environ,
        servers=flags.mcp,
        servers_file=flags.mcp_config,
        mask=Redactor(known_secrets(environ, settings.provider.key)),
        **limits,
    )
