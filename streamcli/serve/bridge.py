"""Frames from a pipeline's thread to an asyncio response: the hand-over, and its bound.

A stream served over HTTP runs its pipeline in threads, as on the command line; the
response is written by the server's event loop. The sink hands each frame (its bytes, or
what the response needs to decide its status) to a `Bridge`; the response takes them as
the client reads. What waits for a client is bounded
in bytes (`limit`): a client that reads slowly holds up only its own stream — its sink
waits, so its pump, its source and finally the upstream connection slow down — and one
that stops reading for `stall` seconds is taken as gone (its stream is interrupted, as if
it had hung up). Nobody else waits for it.
"""

from __future__ import annotations

import asyncio
import threading

LIMIT = 1024 * 1024  # bytes a stream may hold for a client that does not read
STALL = 60.0  # seconds a client may read nothing while its stream has something to send


class ClientGone(ConnectionError):
    """The client hung up, or stopped reading for too long: the stream ends."""


class Bridge:
    """Items from one writer thread to one asyncio reader, at most `limit` bytes held."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, limit: int = LIMIT, stall: float = STALL
    ) -> None:
        self._loop = loop
        self._queue: asyncio.Queue[tuple[object, int] | None] = asyncio.Queue()
        self._limit = limit
        self._stall = stall
        self._room = threading.Condition()
        self._held = 0
        self._gone = False

    def put(self, item: object, size: int) -> None:
        """Hand `item` (`size` bytes) on, from the writer's thread; waits while `limit`
        bytes are held. Raises `ClientGone` once the reader left or read nothing for
        `stall` seconds."""
        with self._room:
            if not self._room.wait_for(lambda: self._held < self._limit or self._gone, self._stall):
                self._gone = True
                raise ClientGone(f"the client read nothing for {self._stall:g} s")
            if self._gone:
                raise ClientGone("the client went away")
            self._held += size
        self._send((item, size))

    def end(self) -> None:
        """Nothing more will come (the writer's thread)."""
        self._send(None)

    def gone(self) -> None:
        """The reader left: a waiting or later `put` raises `ClientGone`."""
        with self._room:
            self._gone = True
            self._room.notify_all()

    async def get(self) -> object | None:
        """The next item, or None at the end (the event loop)."""
        sent = await self._queue.get()
        if sent is None:
            self._queue.put_nowait(None)  # the end stays the end
            return None
        item, size = sent
        with self._room:
            self._held -= size
            self._room.notify_all()
        return item

    def _send(self, sent: tuple[object, int] | None) -> None:
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, sent)
        except RuntimeError:  # the event loop is closed: the server is gone
            self.gone()
            raise ClientGone("the server stopped") from None
