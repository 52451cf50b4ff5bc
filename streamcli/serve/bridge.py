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
from collections import deque

LIMIT = 1024 * 1024  # bytes a stream may hold for a client that does not read
STALL = 60.0  # seconds a client may read nothing while its stream has something to send


class ClientGone(ConnectionError):
    """The client hung up, or stopped reading for too long: the stream ends."""


class Bridge:
    """Items from one writer thread to one asyncio reader, at most `limit` bytes held.

    The reader is woken (a hop into the event loop) only when it waits; items that arrive
    while it is busy are taken together by its next `take`, so a server that falls behind
    writes each stream's waiting events in one go instead of one by one.
    """

    def __init__(
        self, loop: asyncio.AbstractEventLoop, limit: int = LIMIT, stall: float = STALL
    ) -> None:
        self._loop = loop
        self._items: deque[tuple[object, int]] = deque()
        self._limit = limit
        self._stall = stall
        self._room = threading.Condition(threading.Lock())
        self._held = 0
        self._gone = False
        self._ended = False
        self._waiter: asyncio.Future[None] | None = None  # the reader, while it waits

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
            self._items.append((item, size))
            waiter, self._waiter = self._waiter, None
        self._wake(waiter)

    def end(self) -> None:
        """Nothing more will come (the writer's thread)."""
        with self._room:
            self._ended = True
            waiter, self._waiter = self._waiter, None
        self._wake(waiter)

    def gone(self) -> None:
        """The reader left: a waiting or later `put` raises `ClientGone`."""
        with self._room:
            self._gone = True
            self._room.notify_all()

    async def get(self) -> object | None:
        """The next item, or None at the end (the event loop)."""
        taken = await self.take(limit=1)
        return None if taken is None else taken[0]

    async def take(self, timeout: float | None = None, limit: int = 0) -> list[object] | None:
        """Every item waiting (at most `limit` if given), waiting up to `timeout` seconds
        for the first ([] if none came); None at the end (the event loop)."""
        with self._room:
            if not self._items and not self._ended:
                waiter = self._waiter = self._loop.create_future()
            else:
                waiter = None
        if waiter is not None:
            try:
                await asyncio.wait_for(waiter, timeout) if timeout is not None else await waiter
            except TimeoutError:
                return []
        with self._room:
            if not self._items:
                return None if self._ended else []
            count = len(self._items) if limit <= 0 else min(limit, len(self._items))
            taken = [self._items.popleft() for _ in range(count)]
            self._held -= sum(size for _, size in taken)
            self._room.notify_all()
        return [item for item, _ in taken]

    def _wake(self, waiter: asyncio.Future[None] | None) -> None:
        """Wake the waiting reader, if any; a closed event loop means the server is gone."""
        if waiter is None and not self._loop.is_closed():
            return
        try:
            self._loop.call_soon_threadsafe(_settle, waiter)
        except RuntimeError:  # the event loop is closed: the server is gone
            self.gone()
            raise ClientGone("the server stopped") from None


def _settle(waiter: asyncio.Future[None] | None) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(None)
