"""What the master and the workers of a Locust run say to each other, besides Locust's own
messages, and what a worker needs to know to send the run's requests.

master → worker: SETUP (the request: `Setup`), PING (clock offset, other machines only),
GO (the worker's `Share`), STOP (Ctrl-C: stop now and send what was measured).
worker → master: READY or FAILED (after SETUP), PONG, RECORDS (a batch of exact records,
times on the worker's clock), DONE (all sent; the worker's exit status).

No key ever travels: `Setup` holds the provider, the URL and the request, and each worker
adds the key its own environment or config file gives (as `streamcli chat` would there).
Imports nothing of Locust's.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streamcli.bench.calls import Prepared
from streamcli.env import Environment
from streamcli.errors import BadInput
from streamcli.providers import HTTP_PROVIDERS
from streamcli.sources.chat.protocols.provider import Provider
from streamcli.sources.chat.request import ChatRequest

SETUP, PING, GO, STOP = "streamcli_setup", "streamcli_ping", "streamcli_go", "streamcli_stop"
READY, FAILED, PONG = "streamcli_ready", "streamcli_failed", "streamcli_pong"
RECORDS, DONE = "streamcli_records", "streamcli_done"


@dataclass(frozen=True)
class Setup:
    """What every worker asks, and how patiently."""

    provider: str
    base_url: str
    request: dict[str, Any]  # a ChatRequest's fields
    timeout: float
    connect_timeout: float
    kernel: bool = True  # time reads by the kernel's arrival stamps where possible

    @classmethod
    def of(
        cls,
        provider: Provider,
        request: ChatRequest,
        timeout: float,
        connect_timeout: float,
        kernel: bool = True,
    ) -> Setup:
        fields = dataclasses.asdict(request)
        fields["tools"] = list(request.tools)
        return cls(provider.name, provider.base_url, fields, timeout, connect_timeout, kernel)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Setup:
        try:
            return cls(**data)
        except TypeError as exc:
            raise BadInput(f"the master sent a setup this worker does not know: {exc}") from None

    def prepare(self, env: Environment) -> Prepared:
        """The request as this worker sends it, with the key of this worker's environment."""
        from streamcli.config import load_config
        from streamcli.sources.chat.settings import ChatFlags, resolve

        fields = dict(self.request)
        fields["tools"] = tuple(fields.get("tools") or ())
        try:
            request = ChatRequest(**fields)
        except TypeError as exc:
            raise BadInput(f"the master sent a request this worker does not know: {exc}") from None
        if self.provider not in HTTP_PROVIDERS:
            raise BadInput(
                f"the master asked for a provider this worker does not know: {self.provider}"
            )
        flags = ChatFlags(provider=self.provider, base_url=self.base_url, model=request.model)
        settings = resolve(flags, env.environ, load_config(env.environ))
        if settings.provider is None:
            raise BadInput(f"no HTTP provider {self.provider} here")
        return Prepared(settings.provider, settings.provider.chat_call(request))


def boot_id() -> str | None:
    """This kernel's boot ID: processes that share it share CLOCK_MONOTONIC."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip() or None
    except OSError:
        return None


def quiet_locust() -> None:
    """Locust's own log lines stay out of streamcli's output: what matters (a worker
    lost, a failure) streamcli reports itself, in one line."""
    logging.getLogger("locust").setLevel(logging.CRITICAL + 1)
