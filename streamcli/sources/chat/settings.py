"""Which provider, where, which model, with which key: flags, then environment, then config.

The provider is `--provider`, else STREAMCLI_PROVIDER, else the config file's `provider`,
else guessed from the keys in the environment (OPENAI_API_KEY or OPENAI_BASE_URL →
openai, ANTHROPIC_API_KEY → anthropic), else ollama. Top-level `model` and `base_url` in
the config apply to the config's own provider; each `[provider]` table applies to its own.

The guess's last resort is the local model: when Ollama was only guessed (no key, no
`--base-url`, no model that names a GGUF file) and cannot be reached, and the `local` extra
is installed, the answer comes from the model in this process, and a line says so.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, TypeVar
from urllib.parse import urlsplit

from streamcli.config import Config
from streamcli.errors import BadInput
from streamcli.keys import read_key_file
from streamcli.options import BadValue, checked
from streamcli.providers import DEFAULT, HTTP_PROVIDERS, LOCAL, PROVIDERS
from streamcli.sources.chat.flags import ChatFlags
from streamcli.sources.chat.protocols.provider import Provider, provider_class
from streamcli.sources.chat.request import ChatRequest
from streamcli.sources.chat.retry import Limits
from streamcli.transcript import Message

if TYPE_CHECKING:
    from streamcli.tools.toolbox import Toolbox

PROBE_TIMEOUT = 1.0  # seconds to wait for Ollama's port to accept a connection


@dataclass
class ChatSettings:
    """A chat's settings once the flags, the config file and the environment are combined.

    `provider` is the HTTP API asked; None means the model in this process (`local`).
    """

    provider: Provider | None
    model: str | None
    limits: Limits
    system: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    stream: bool = True
    key_source: str | None = field(default=None)  # where the key came from, for messages
    seed: int | None = None


def choose_provider(flag: str | None, environ: Mapping[str, str], config: Config) -> str:
    """The provider's name: chosen (flag, environment, config), else guessed from the keys."""
    return _choose(flag, environ, config)[0]


def _choose(flag: str | None, environ: Mapping[str, str], config: Config) -> tuple[str, bool]:
    """The provider's name, and whether it was only guessed."""
    for value, where in (
        (flag, "--provider"),
        (environ.get("STREAMCLI_PROVIDER"), "STREAMCLI_PROVIDER"),
        (config.get("provider"), f"{config.path}: provider"),
    ):
        if value:
            name = value.strip().lower()
            if name not in PROVIDERS:
                raise BadInput(
                    f"{where}: unknown provider {value!r} (choose from {', '.join(PROVIDERS)})"
                )
            return name, False
    return guessed(environ), True


def guessed(environ: Mapping[str, str]) -> str:
    """The provider whose variables are set (a key, a base URL: `Provider.guessed_from`),
    in the registry's order; else the default."""
    for name in HTTP_PROVIDERS:
        if any(environ.get(variable) for variable in provider_class(name).guessed_from):
            return name
    return DEFAULT


def resolve(
    flags: ChatFlags,
    environ: Mapping[str, str],
    config: Config,
    fallback: TextIO | None = None,
    url_flag: str = "--base-url",
) -> ChatSettings:
    """Settle every setting of a chat, or raise `BadInput` naming what is wrong (a flag's
    value as `url_flag` when it is the base URL).

    With `fallback` (where to say so), a guessed Ollama that cannot be reached gives way
    to the local model.
    """
    name, guessed = _choose(flags.provider, environ, config)
    own = config.get("provider") in (None, name)  # top-level model/base_url are for it

    def configured(key: str) -> object:
        value = config.get(key, name)
        return value if value is not None or not own else config.get(key)

    model = flags.model or _given(
        "model", environ.get("STREAMCLI_MODEL") or None, "STREAMCLI_MODEL"
    )
    model = model or _given("model", configured("model"), config.where("model"))
    provider: Provider | None = None
    key_source = None
    if name != LOCAL:
        cls = provider_class(name)
        key, key_source = _key(flags, environ, config, cls, name)
        if flags.base_url:
            provider = _provider(cls, flags.base_url, key, url_flag)
        elif environ.get(cls.base_env):
            provider = _provider(cls, environ[cls.base_env], key, cls.base_env)
        else:
            where = config.where("base_url")
            provider = _provider(cls, str(configured("base_url") or cls.default_base), key, where)
        if provider.key_required and not key:
            raise BadInput(
                f"no API key for {provider.base_url}: set {cls.key_env} "
                f"(or key_file under [{name}] in the config file)"
            )
        guessed_ollama = guessed and name == "ollama" and not key and not flags.base_url
        if fallback and guessed_ollama and _local_instead(provider, model, fallback):
            provider, key_source = None, None
    limits = Limits(
        timeout=float(_pick(_setting(flags.timeout, config, "timeout"), Limits.timeout)),
        first_token_timeout=float(
            _pick(
                _setting(flags.first_token_timeout, config, "first_token_timeout"),
                Limits.first_token_timeout,
            )
        ),
        connect_timeout=float(
            _pick(_setting(None, config, "connect_timeout", "timeout"), Limits.connect_timeout)
        ),
        retries=int(_pick(_setting(flags.retries, config, "retries"), Limits.retries)),
    )
    return ChatSettings(
        provider=provider,
        model=str(model) if model else None,
        limits=limits,
        system=_setting(flags.system, config, "system"),
        temperature=_setting(flags.temperature, config, "temperature"),
        max_tokens=_setting(flags.max_tokens, config, "max_tokens"),
        stream=flags.stream,
        key_source=key_source,
        seed=flags.seed,
    )


def chat_request(
    settings: ChatSettings,
    prompt: str,
    earlier: list[Message] | None = None,
    toolbox: Toolbox | None = None,
) -> ChatRequest:
    """What is asked: `prompt` after the `earlier` messages, with the settings' system
    prompt, model and sampling, and the tools of `toolbox`."""
    return ChatRequest.from_prompt(
        prompt,
        settings.system,
        earlier,
        tools=tuple(toolbox.offers()) if toolbox else (),
        model=settings.model,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        stream=settings.stream,
        seed=settings.seed,
    )


def _local_instead(ollama: Provider, model: object, notice: TextIO) -> bool:
    """Whether the local model answers instead of a guessed Ollama that is not there (a
    model name that is not a GGUF file on disk means Ollama was meant)."""
    if model and not Path(str(model)).expanduser().is_file():
        return False
    from streamcli.sources.chat.local.model import installed

    if not installed(bundled=model is None) or reachable(ollama.base_url):
        return False
    notice.write(
        f"streamcli: no API key is set and Ollama is not reachable at {ollama.base_url}: "
        "answering with the local model, in this process (--provider local)\n"
    )
    notice.flush()
    return True


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


def _given(field: str, value: object, where: str) -> object:
    """A setting from the environment or the config file (`where`), checked as the
    command line checks its flag (valid UTF-8, in range): `BadInput` if not."""
    if value is None:
        return None
    try:
        return checked(ChatFlags, field, value, where=where)
    except BadValue as exc:
        raise BadInput(str(exc)) from None


def _is_host(host: str) -> bool:
    """A host name (letters, digits, `.`, `-`, `_`; IDNA encoded) or an IP address."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    return bool(re.fullmatch(r"[A-Za-z0-9._-]+", host.encode("idna").decode("ascii")))


def _provider(cls: type[Provider], url: str, key: str | None, where: str) -> Provider:
    """`cls` at `url` (from `where`), or `BadInput` when `url` is not an http(s) URL with a
    host (a bad port, an unclosed IPv6 address, a host that is not a name)."""
    _given("base_url", url, where)  # valid UTF-8
    try:
        provider = cls(url, key)
        parts = urlsplit(provider.base_url)
        parts.port  # noqa: B018 (raises ValueError when out of range)
        host = parts.hostname or ""
        good = parts.scheme in ("http", "https") and _is_host(host)
    except (ValueError, UnicodeError):
        good = False
    if not good:
        raise BadInput(f"{where}: not an http(s) URL with a host and a valid port: '{url}'")
    return provider


def _key(
    flags: ChatFlags,
    environ: Mapping[str, str],
    config: Config,
    cls: type[Provider],
    name: str,
) -> tuple[str | None, str | None]:
    if flags.key_file is not None:
        where = f"the key file {flags.key_file}"
        return _sendable(read_key_file(flags.key_file), where), where
    value = (environ.get(cls.key_env) or "").strip()
    if value:
        return _sendable(value, cls.key_env), cls.key_env
    path = config.get("key_file", name)
    if path:
        where = f"the key file {path}"
        return _sendable(read_key_file(path), where), where
    return None, None


def _sendable(key: str, where: str) -> str:
    """`key`, if it can go in an HTTP header; else `BadInput` (the key itself not shown)."""
    if key.isascii() and key.isprintable():
        return key
    raise BadInput(f"{where}: the key has characters that are not printable ASCII")


_T = TypeVar("_T")


def _pick(flag: _T | None, configured: _T) -> _T:
    return flag if flag is not None else configured


def _setting(flag: _T | None, config: Config, key: str, field: str | None = None) -> _T | None:
    """The flag's value, else the config file's `key`, checked against the range of the
    option `field` (default: `key`) as the command line checks it: `BadInput` if out."""
    if flag is not None:
        return flag  # checked as the command line parsed it
    return _given(field or key, config.get(key), config.where(key))  # type: ignore[return-value]
