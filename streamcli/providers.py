"""The providers a chat can ask: the one list of them.

Each HTTP API is a module of `sources/chat/protocols/` whose `PROVIDER` class holds the
rest (its label, base URL, key variable, the variables that make it the guess, how to ask
and how to list models); `local` is the model in this process (`sources/chat/local/`).
Adding a provider is a module in `protocols/` and a line here: the command line's choices,
the config file's tables and the guess from the environment follow. Plain data, imported at
start-up by the command line, the config file and the chat alike.
"""

# name → the module of its protocol; the order is the guess's (`settings.guessed`).
HTTP_PROVIDERS: dict[str, str] = {
    "ollama": "streamcli.sources.chat.protocols.ollama",
    "openai": "streamcli.sources.chat.protocols.openai",
    "anthropic": "streamcli.sources.chat.protocols.anthropic",
}
LOCAL = "local"
PROVIDERS: tuple[str, ...] = (*HTTP_PROVIDERS, LOCAL)
DEFAULT = "ollama"  # when nothing says which: a local server, no key
