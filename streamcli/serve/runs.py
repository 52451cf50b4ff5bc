"""The streams a server is running: each a pipeline in a thread of its own, ended when
its client leaves, and all ended when the server stops.

`Streamed` is the ASGI response of a stream: it writes what the bridge hands over and,
side by side, listens for the client's disconnect — also before the first byte and while
the stream is idle — and interrupts the stream at once (its source closes its upstream
request or stops the local model; the history records the turn as interrupted). It does
not rely on the server noticing a failed write.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import anyio

from streamcli import errors
from streamcli.pipeline import Pipeline
from streamcli.serve.bridge import Bridge
from streamcli.stream import Screen, Sink, Source

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]


class Run:
    """One stream served: `source` → its pipeline (in a thread) → `sink` and `taps`."""

    def __init__(
        self,
        source: Source,
        sink: Sink,
        bridge: Bridge | None,
        taps: Sequence[Sink] = (),
        screen: Screen | None = None,
    ) -> None:
        self.bridge = bridge
        self.pipeline = Pipeline(source, sink, [*source.taps, *taps], screen=screen)
        self.status: int | None = None
        self.done = threading.Event()
        self._finished: list[Callable[[int], None]] = []

    def start(self, runs: Runs) -> None:
        runs.add(self)
        thread = threading.Thread(target=self._run, args=(runs,), name="streamcli-serve")
        thread.daemon = True
        thread.start()

    def interrupt(self) -> None:
        """End the stream now (the server stops): what arrived is kept, then `end` with
        reason `interrupted`, which the client still gets."""
        self.pipeline.interrupt()

    def client_left(self) -> None:
        """The client hung up: end the stream now, nothing more is sent."""
        self.pipeline.interrupt()
        if self.bridge is not None:
            self.bridge.gone()

    async def finished(self) -> int:
        """Wait (in the event loop) until the stream has ended; its status."""
        loop = asyncio.get_running_loop()
        ended: asyncio.Future[int] = loop.create_future()

        def settle(status: int) -> None:
            def set_result() -> None:
                if not ended.done():
                    ended.set_result(status)

            loop.call_soon_threadsafe(set_result)

        self._finished.append(settle)
        if self.status is not None:
            return self.status
        return await ended

    def _run(self, runs: Runs) -> None:
        try:
            self.status = self.pipeline.run()
        except BaseException:  # a failure outside the stream's own (reported in it)
            self.status = errors.FAILURE
        finally:
            runs.discard(self)
            self.done.set()
            for settle in self._finished:
                settle(self.status if self.status is not None else errors.FAILURE)


class Runs:
    """The streams running now, to end them all when the server stops."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[Run] = set()

    def add(self, run: Run) -> None:
        with self._lock:
            self._running.add(run)

    def discard(self, run: Run) -> None:
        with self._lock:
            self._running.discard(run)

    def __len__(self) -> int:
        with self._lock:
            return len(self._running)

    def interrupt_all(self, wait: float) -> None:
        """Interrupt every stream and wait up to `wait` seconds for them to end."""
        with self._lock:
            running = list(self._running)
        for run in running:
            run.interrupt()
        for run in running:
            run.done.wait(wait)


async def until_disconnected(receive: Receive) -> None:
    """Return when the client has gone (the request's body already read)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


class Streamed:
    """The ASGI response of a stream: `body`'s bytes as they come, the stream interrupted
    (`on_gone`) the moment the client disconnects."""

    def __init__(
        self,
        body: AsyncIterator[bytes],
        on_gone: Callable[[], None],
        *,
        status: int = 200,
        headers: Sequence[tuple[str, str]] = (),
        media_type: str = "text/event-stream",
    ) -> None:
        self.body = body
        self.on_gone = on_gone
        self.status = status
        self.headers = [
            (b"content-type", media_type.encode()),
            (b"cache-control", b"no-cache"),
            (b"x-accel-buffering", b"no"),  # proxies: pass each event on at once
            *((name.encode(), value.encode()) for name, value in headers),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        gone = False
        async with anyio.create_task_group() as group:

            async def listen() -> None:
                nonlocal gone
                await until_disconnected(receive)
                gone = True
                self.on_gone()
                group.cancel_scope.cancel()

            group.start_soon(listen)
            try:
                await send(
                    {"type": "http.response.start", "status": self.status, "headers": self.headers}
                )
                async for chunk in self.body:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            except OSError:  # the write failed: the client is gone
                if not gone:
                    self.on_gone()
            group.cancel_scope.cancel()
