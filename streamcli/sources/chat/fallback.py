"""The automatic provider choice's last resort: the local model, when no server answers.

Without `--provider` (or STREAMCLI_PROVIDER, or the config's `provider`) and without an
API key, the choice falls to Ollama. When Ollama cannot be reached and the `local` extra
is installed, the answer comes from the model in this process instead, and a line on
stderr says so. A `--base-url` or a model name that is not a GGUF file on disk means
Ollama was meant: then its connection error is reported as usual.
"""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from streamcli.config import Config
from streamcli.sources.chat.settings import ChatFlags, ChatSettings

PROBE_TIMEOUT = 1.0  # seconds to wait for Ollama's port to accept a connection


def choose_local(
    settings: ChatSettings,
    flags: ChatFlags,
    environ: Mapping[str, str],
    config: Config,
    stderr: TextIO,
) -> ChatSettings:
    """`settings` for the local model if Ollama was only guessed and is not there."""
    provider = settings.provider
    chosen = flags.provider or environ.get("STREAMCLI_PROVIDER") or config.get("provider")
    if chosen or provider.name != "ollama" or provider.key or flags.base_url:
        return settings
    model = settings.model
    if model and not Path(model).expanduser().is_file():
        return settings  # an Ollama model's name
    from streamcli.sources.chat.local.model import installed

    if not installed(bundled=model is None) or reachable(provider.base_url):
        return settings
    from streamcli.sources.chat.local.source import LocalProvider

    stderr.write(
        f"streamcli: no API key is set and Ollama is not reachable at {provider.base_url}: "
        "answering with the local model, in this process (--provider local)\n"
    )
    stderr.flush()
    return dataclasses.replace(settings, provider=LocalProvider(""), key_source=None)


def reachable(base_url: str, timeout: float = PROBE_TIMEOUT) -> bool:
    """Whether a TCP connection to the server of `base_url` opens within `timeout`."""
    parts = urlsplit(base_url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return False
    try:
        with socket.create_connection((parts.hostname or "localhost", port), timeout=timeout):
            return True
    except OSError:
        return False
