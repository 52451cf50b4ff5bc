"""The request every measured request repeats, prepared once, and how one request's
outcome lands in its record: the same for the asyncio run and for Locust's workers.

Each request gets its own X-Request-ID (a UUID: servers that check the header, such as
llama-cpp-python's, accept nothing else), so a server's log can be matched with the
saved records. A server may echo the key in an error: messages are redacted.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import orjson

from streamcli.bench.http1 import TransportError
from streamcli.bench.measure import RequestFailed, RequestRecord, StreamMeter
from streamcli.redact import Redactor, known_secrets
from streamcli.sources.chat.protocols.provider import Call, Provider


class Prepared:
    """`call` encoded once: its body, its headers, and a redactor for what comes back."""

    def __init__(self, provider: Provider, call: Call) -> None:
        self.provider = provider
        self.call = call
        self.body = orjson.dumps(call.body) if call.body is not None else None
        self.headers = dict(call.headers)
        if self.body is not None:
            self.headers["content-type"] = "application/json"
        # every key this process knows of: the one in use, the environment's, the key files'
        self.redact = Redactor(known_secrets(os.environ, provider.key))
        fields = ", ".join(call.body) if isinstance(call.body, dict) else ""
        self.content = (
            f"a JSON body of {len(self.body)} bytes ({fields})" if self.body else "no body"
        )

    def start(self, record: RequestRecord) -> tuple[dict[str, str], StreamMeter]:
        """A fresh request ID for `record`: its headers, and the meter that reads it."""
        request_id = record.request_id = str(uuid.uuid4())
        meter = StreamMeter(self.provider, record, self.call.url)
        meter.decoder.mask = self.redact.exact  # a finish_reason echoing the key: masked
        meter.sent = (
            f"{self.call.method} {self.call.url} with X-Request-ID {request_id} and {self.content}"
        )
        return {**self.headers, "x-request-id": request_id}, meter

    def failed(self, record: RequestRecord, exc: Exception) -> None:
        """Note in `record` why its request failed (a bug is noted too, not raised: one
        request must not end the whole run)."""
        if isinstance(exc, RequestFailed):
            record.error = error(exc.kind, self.redact(exc.message), exc.status)
        elif isinstance(exc, TransportError):
            record.error = error(exc.kind, self.redact(exc.message))
        else:
            record.error = error("internal", self.redact(f"{type(exc).__name__}: {exc}"))


def interrupted(record: RequestRecord) -> None:
    """`record` was cut off by Ctrl-C or SIGTERM (`RequestRecord.cancelled`)."""
    record.error = error("interrupted", "the run was interrupted")


def error(kind: str, message: str, status: int | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"kind": kind, "message": message}
    if status is not None:
        item["status"] = status
    return item
