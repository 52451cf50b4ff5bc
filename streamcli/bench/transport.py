"""A small asyncio HTTP/1.1 client that timestamps every read the moment it arrives.

Measuring many streams in one event loop has one trap: while the loop parses one
stream's chunk, the others' bytes wait in their sockets, and a timestamp taken after
parsing is late by however much parsing came first (at 64 streams, milliseconds). Here the
protocol's `data_received` only notes the clock and keeps the bytes; all parsing (h11 for
HTTP framing, then the caller's `ResponseHandler`) runs afterwards in slices of at most
`PARSE_BUDGET` seconds per turn of the loop, so a timestamp is late by one slice at most.

Over plain HTTP on Linux the time of a read is better still: the kernel's arrival time
of the bytes (`rxstamp`), which no amount of work or scheduling delay in this process
can shift. Connections are kept alive and reused (`Pool`), as benchmark clients do;
connecting is timed separately from the request. TLS uses the same settings as
`streamcli chat` (httpx's defaults: certifi or SSL_CERT_FILE). Proxies are not used.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

import h11

from streamcli.bench import rxstamp
from streamcli.bench.http1 import (
    Origin,
    ResponseHandler,
    Times,
    TransportError,
    connect_failure,
    encode_request,
    feed,
    new_connection,
    reusable,
    silence,
    split_url,
    tls_context,
)

__all__ = ["Pool", "ResponseHandler", "TransportError", "split_url"]

PARSE_BUDGET = 0.0002  # seconds of parsing per loop turn, at most (one read may exceed it)


class _Parser:
    """Runs the connections' parsing in budgeted slices, one per loop turn."""

    def __init__(self, loop: asyncio.AbstractEventLoop, clock: Callable[[], float]) -> None:
        self._loop = loop
        self._clock = clock
        self._pending: deque[_Connection] = deque()
        self._scheduled = False

    def notify(self, connection: _Connection) -> None:
        if not connection.queued:
            connection.queued = True
            self._pending.append(connection)
            if not self._scheduled:
                self._scheduled = True
                self._loop.call_soon(self._run)

    def _run(self) -> None:
        self._scheduled = False
        pending = self._pending
        clock = self._clock
        deadline = clock() + PARSE_BUDGET
        while pending:
            connection = pending.popleft()
            connection.process_one()
            if connection.reads:
                pending.append(connection)
            else:
                connection.queued = False
            if clock() >= deadline:
                break
        if pending and not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self._run)


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection: timestamped reads in, h11 events to the current exchange."""

    def __init__(self, origin: Origin, clock: Callable[[], float], parser: _Parser) -> None:
        self.origin = origin
        self.clock = clock
        self.parser = parser
        self.transport: asyncio.Transport | rxstamp.StampedTransport | None = None
        self.reads: deque[tuple[float, bytes]] = deque()
        self.queued = False
        self.lost = False
        self.h11: h11.Connection = new_connection()
        self.exchange: _Exchange | None = None
        self.last_read = 0.0
        self.read_count = 0
        self.kernel_count = 0  # reads timed by the kernel

    # -- asyncio.Protocol: keep these cheap -----------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.received_at(self.clock(), data)

    def received_at(self, t: float, data: bytes, kernel: bool = False) -> None:
        """Bytes read at `t` (`kernel`: the kernel's arrival time, from `rxstamp`)."""
        self.last_read = t
        self.reads.append((t, data))
        self.read_count += 1
        self.kernel_count += kernel
        self.parser.notify(self)

    def eof_received(self) -> bool:
        self._eof()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._eof()

    def _eof(self) -> None:
        if not self.lost:
            self.lost = True
            self.reads.append((self.clock(), b""))
            self.parser.notify(self)

    # -- parsing ---------------------------------------------------------------

    def process_one(self) -> None:
        """Parse the oldest read and hand what it completes to the exchange."""
        t, data = self.reads.popleft()
        exchange = self.exchange
        if exchange is None or exchange.finished:
            return  # bytes after a response, or the end of an idle connection
        try:
            if feed(self.h11, exchange.handler, t, data):
                exchange.finish(None)
        except Exception as exc:  # a transport error, or the handler refused the response
            exchange.finish(exc)

    def reusable(self) -> bool:
        return not self.lost and reusable(self.h11)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class _Exchange:
    def __init__(self, handler: ResponseHandler, loop: asyncio.AbstractEventLoop) -> None:
        self.handler = handler
        self.done: asyncio.Future[None] = loop.create_future()
        self.finished = False

    def finish(self, error: BaseException | None) -> None:
        if self.finished:
            return
        self.finished = True
        if error is None:
            self.done.set_result(None)
        else:
            self.done.set_exception(error)


class Pool:
    """Keep-alive connections per origin, and the requests made over them."""

    def __init__(
        self,
        clock: Callable[[], float],
        *,
        connect_timeout: float = 10.0,
        kernel_timestamps: bool = True,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self.clock = clock
        self.connect_timeout = connect_timeout
        self._loop = loop or asyncio.get_running_loop()
        self._parser = _Parser(self._loop, clock)
        self._idle: dict[Origin, list[_Connection]] = {}
        self._open: set[_Connection] = set()
        self.kernel_timestamps = kernel_timestamps and rxstamp.supported()
        self._stamps = rxstamp.Switch()
        self._reads = 0
        self._kernel_reads = 0

    async def request(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes | None,
        handler: ResponseHandler,
        times: Times,
        *,
        timeout: float,
    ) -> None:
        """Make one request; `handler` sees the response, `times` gets its timestamps.

        `timeout` is the longest silence allowed (no byte received) once it is sent.
        """
        origin, target = split_url(url)
        times.started = self.clock()
        connection = self._take_idle(origin)
        times.reused = connection is not None
        if connection is None:
            connection = await self._connect(origin)
        times.connected = self.clock()
        exchange = connection.exchange = _Exchange(handler, self._loop)
        data = encode_request(connection.h11, origin, method, target, headers, body)
        times.sent = connection.last_read = self.clock()
        assert connection.transport is not None
        connection.transport.write(data)
        try:
            await self._wait(connection, exchange, timeout)
        except BaseException:
            self._discard(connection)
            raise
        if connection.reusable():
            connection.h11.start_next_cycle()
            connection.exchange = None
            self._idle.setdefault(origin, []).append(connection)
        else:
            self._discard(connection)

    async def close(self) -> None:
        for connection in list(self._open):
            self._discard(connection)
        self._idle.clear()
        self._stamps.off()
        await asyncio.sleep(0)  # let the transports close

    # -- helpers ---------------------------------------------------------------

    async def _wait(self, connection: _Connection, exchange: _Exchange, timeout: float) -> None:
        """Wait for the exchange to finish; fail after `timeout` seconds without a read."""
        while True:
            remaining = connection.last_read + timeout - self.clock()
            if remaining <= 0:
                exchange.finish(silence(timeout))
            try:
                await asyncio.wait_for(asyncio.shield(exchange.done), max(remaining, 0))
                return
            except asyncio.TimeoutError:
                if exchange.done.done():
                    exchange.done.result()
                    return

    def _take_idle(self, origin: Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        while idle:
            connection = idle.pop()
            if not connection.lost and not connection.reads:
                return connection
            self._discard(connection)
        return None

    async def _connect(self, origin: Origin) -> _Connection:
        def factory() -> _Connection:
            return _Connection(origin, self.clock, self._parser)

        context = tls_context() if origin.scheme == "https" else None
        try:
            if context is None and self.kernel_timestamps and not self._stamps.on():
                self.kernel_timestamps = False  # the kernel would not stamp: time reads here
            if context is None and self.kernel_timestamps:
                connection = factory()
                await asyncio.wait_for(
                    rxstamp.open_connection(origin.host, origin.port, connection, self.clock),
                    self.connect_timeout,
                )
            else:
                _, connection = await asyncio.wait_for(
                    self._loop.create_connection(
                        factory,
                        origin.host,
                        origin.port,
                        ssl=context,
                        server_hostname=origin.host if context else None,
                    ),
                    self.connect_timeout,
                )
        except (OSError, asyncio.TimeoutError) as exc:  # (SSLError is an OSError)
            raise connect_failure(origin, exc, self.connect_timeout) from None
        self._open.add(connection)
        return connection

    @property
    def timestamps(self) -> str:
        """How reads were timed: "kernel", "read" (in the event loop) or "mixed"."""
        reads = self._reads + sum(c.read_count for c in self._open)
        kernel = self._kernel_reads + sum(c.kernel_count for c in self._open)
        if kernel == reads:
            return "kernel" if reads else ("kernel" if self.kernel_timestamps else "read")
        return "read" if kernel == 0 else "mixed"

    def _discard(self, connection: _Connection) -> None:
        if connection in self._open:
            self._reads += connection.read_count
            self._kernel_reads += connection.kernel_count
        self._open.discard(connection)
        connection.exchange = None
        connection.close()
