"""The models a server offers, for `/model` and its completion."""

from __future__ import annotations

import orjson

from streamcli.errors import StreamcliError
from streamcli.sources.chat.settings import ChatSettings

LIST_TIMEOUT = 10.0
LIST_LIMIT = 8 * 1024 * 1024


def list_models(settings: ChatSettings) -> list[str]:
    """The server's model names (the local model: the one in use); raises
    `StreamcliError` saying why they cannot be listed."""
    provider = settings.provider
    if provider is None:  # the local model
        return [settings.model] if settings.model else []
    import httpx

    from streamcli.sources.chat.protocols.http import Http

    call = provider.models_call()
    http = Http(min(settings.limits.connect_timeout, LIST_TIMEOUT), LIST_TIMEOUT)
    try:
        response = http.send(call)
        try:
            if response.status_code >= 300:
                raise StreamcliError(f"{call.url} answered HTTP {response.status_code}")
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > LIST_LIMIT:
                    raise StreamcliError(f"the model list from {call.url} is too long")
        finally:
            response.close()
    except httpx.HTTPError as exc:
        raise StreamcliError(f"{call.url}: {type(exc).__name__}: {exc}") from None
    finally:
        http.close()
    try:
        return sorted(provider.model_names(orjson.loads(body)))
    except orjson.JSONDecodeError:
        raise StreamcliError(f"{call.url} did not answer with JSON") from None
