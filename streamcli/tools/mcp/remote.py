"""A remote MCP server over streamable HTTP: the SDK's transport, with the limit on one
message that a server on stdio has (`LINE_LIMIT`, 64 MiB).

The SDK caps one SSE event at 1 MiB, so a tool result that works over stdio failed over
HTTP; and it reads a JSON answer whole, however large. Here an SSE event may be as large
as a stdio message, and a JSON answer larger than that fails its call with a message
that names the limit (the session goes on).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx2

from streamcli.capped import size_words
from streamcli.tools.mcp.stdio import LINE_LIMIT


@contextlib.asynccontextmanager
async def streamable_http(url: str, headers: dict[str, str]) -> AsyncIterator[Any]:
    """The streamable HTTP transport, with a client of our own that is closed after it."""
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import MCP_DEFAULT_SSE_READ_TIMEOUT, MCP_DEFAULT_TIMEOUT

    # The SDK's client (`create_mcp_http_client`: its timeouts), on a capped transport.
    timeout = httpx2.Timeout(MCP_DEFAULT_TIMEOUT, read=MCP_DEFAULT_SSE_READ_TIMEOUT)
    transport = CappedJson(httpx2.AsyncHTTPTransport())
    async with (
        httpx2.AsyncClient(headers=headers, timeout=timeout, transport=transport) as client,
        streamable_http_client(url, http_client=client, max_sse_event_size=LINE_LIMIT) as streams,
    ):
        yield streams


class CappedJson(httpx2.AsyncBaseTransport):
    """A transport whose JSON answers fail past `limit` bytes (SSE streams are the SDK's
    to cap, event by event)."""

    def __init__(self, inner: httpx2.AsyncBaseTransport, limit: int = LINE_LIMIT) -> None:
        self._inner = inner
        self._limit = limit

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await self._inner.handle_async_request(request)
        kind = response.headers.get("content-type", "").lower()
        if kind.startswith("application/json"):
            response.stream = _Capped(response.stream, self._limit)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


class _Capped(httpx2.AsyncByteStream):
    def __init__(self, inner: Any, limit: int) -> None:
        self._inner = inner
        self._limit = limit

    async def __aiter__(self) -> AsyncIterator[bytes]:
        seen = 0
        async for chunk in self._inner:
            seen += len(chunk)
            if seen > self._limit:
                raise httpx2.StreamError(
                    f"the server's answer is larger than {size_words(self._limit)}, "
                    "the most streamcli reads"
                )
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()
