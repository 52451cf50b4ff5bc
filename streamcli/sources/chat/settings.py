"""Which provider, where, which model, with which key: flags, then environment, then config.

The provider is `--provider`, else STREAMCLI_PROVIDER, else the config file's `provider`,
else guessed from the keys in the environment (OPENAI_API_KEY or OPENAI_BASE_URL →
openai, ANTHROPIC_API_KEY → anthropic), else ollama — or, when Ollama cannot be reached,
the local model (`fallback.py`). Top-level `model` and `base_url` in
the config apply to the config's own provider; each `[provider]` table applies to its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from streamcli.config import Config
from streamcli.errors import BadInput
from streamcli.sources.chat.flags import ChatFlags
from streamcli.sources.chat.keys import read_key_file
from streamcli.sources.chat.provider import PROVIDERS, Provider, provider_class
from streamcli.sources.chat.request import ChatRequest, Message
from streamcli.sources.chat.source import ChatSource, Limits

if TYPE_CHECKING:
    from streamcli.tools.toolbox import Toolbox


@dataclass
class ChatSettings:
    """A chat's settings once the flags, the config file and the environment are combined."""

    provider: Provider
    model: str | None
    limits: Limits
    system: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    stream: bool = True
    key_source: str | None = field(default=None)  # where the key came from, for messages
    seed: int | None = None


def choose_provider(flag: str | None, environ: Mapping[str, str], config: Config) -> str:
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
            return name
    if environ.get("OPENAI_API_KEY") or environ.get("OPENAI_BASE_URL"):
        return "openai"
    if environ.get("ANTHROPIC_API_KEY"):
        return "anthropic"
    return "ollama"


def resolve(flags: ChatFlags, environ: Mapping[str, str], config: Config) -> ChatSettings:
    """Settle every setting of a chat, or raise `BadInput` naming what is wrong."""
    name = choose_provider(flags.provider, environ, config)
    cls = provider_class(name)
    own = config.get("provider") in (None, name)  # top-level model/base_url are for it

    def configured(key: str) -> object:
        value = config.get(key, name)
        return value if value is not None or not own else config.get(key)

    base_url = flags.base_url or environ.get(cls.base_env) or configured("base_url")
    base_url = str(base_url or cls.default_base)
    model = flags.model or environ.get("STREAMCLI_MODEL") or configured("model")
    key, key_source = _key(flags, environ, config, cls, name)
    provider = cls(base_url, key)
    if provider.key_required and not key:
        raise BadInput(
            f"no API key for {provider.base_url}: set {cls.key_env} "
            f"(or key_file under [{name}] in the config file)"
        )
    limits = Limits(
        timeout=_positive(flags.timeout, config, "timeout", Limits.timeout),
        first_token_timeout=_positive(
            flags.first_token_timeout, config, "first_token_timeout", Limits.first_token_timeout
        ),
        connect_timeout=_positive(None, config, "connect_timeout", Limits.connect_timeout),
        retries=_count(flags.retries, config, "retries", Limits.retries),
    )
    return ChatSettings(
        provider=provider,
        model=str(model) if model else None,
        limits=limits,
        system=flags.system if flags.system is not None else config.get("system"),
        temperature=_pick(flags.temperature, config.get("temperature")),
        max_tokens=_pick(flags.max_tokens, config.get("max_tokens")),
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


def open_chat(
    settings: ChatSettings,
    prompt: str,
    earlier: list[Message] | None = None,
    toolbox: Toolbox | None = None,
) -> ChatSource:
    """The source that asks `settings.provider` for an answer to `prompt`."""
    request = chat_request(settings, prompt, earlier, toolbox)
    return ChatSource(
        settings.provider,
        request,
        settings.limits,
        key_source=settings.key_source,
        toolbox=toolbox,
    )


def _key(
    flags: ChatFlags,
    environ: Mapping[str, str],
    config: Config,
    cls: type[Provider],
    name: str,
) -> tuple[str | None, str | None]:
    if flags.key_file is not None:
        return read_key_file(flags.key_file), f"the key file {flags.key_file}"
    value = (environ.get(cls.key_env) or "").strip()
    if value:
        return value, cls.key_env
    path = config.get("key_file", name)
    if path:
        return read_key_file(path), f"the key file {path}"
    return None, None


_T = TypeVar("_T")


def _pick(flag: _T | None, configured: _T | None) -> _T | None:
    return flag if flag is not None else configured


def _positive(flag: float | None, config: Config, key: str, default: float) -> float:
    value = flag if flag is not None else config.get(key)
    if value is None:
        return default
    if value <= 0:
        raise BadInput(f"{config.where(key) if flag is None else '--' + key}: must be above 0")
    return float(value)


def _count(flag: int | None, config: Config, key: str, default: int) -> int:
    value = flag if flag is not None else config.get(key)
    if value is None:
        return default
    if value < 0:
        raise BadInput(f"{config.where(key) if flag is None else '--' + key}: must be 0 or more")
    return int(value)
