"""One HTTP exchange in its own thread: the request is sent, then the body read.

The thread does nothing but wait on the network; whoever consumes the reply waits with a
deadline (the stall watchdog's), for the headers and then for the body, and takes
everything that arrived since it last looked. So a burst of many small HTTP chunks is
parsed and handed on as one batch, a slow stream's chunks are handed on one by one at
once, and a server that never answers cannot block the consumer past its deadline. What
waits for the consumer is bounded (`HELD`): past it the thread stops reading, so a reader
that falls behind slows the server down (TCP) instead of filling memory.
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import TYPE_CHECKING, Any

import orjson

from streamcli.sources.chat.protocols.http import Http
from streamcli.sources.chat.protocols.provider import Call

if TYPE_CHECKING:
    import httpx

HELD = 1024 * 1024  # bytes read and not yet taken before the thread waits


class Exchange:
    """One HTTP request and its reply, read in its own thread."""

    def __init__(self, http: Http, call: Call) -> None:
        self._http = http
        self._call = call
        self._cond = threading.Condition(threading.Lock())
        self.response: httpx.Response | None = None
        self.failure: Exception | None = None  # the request failed before any answer
        self.error: Exception | None = None  # the body ended early (dropped connection)
        self._chunks: list[bytes] = []
        self._held = 0  # bytes in `_chunks`
        self._ended = False
        self._woken = False
        self._cancelled = threading.Event()  # no answer is wanted any more
        self._thread = threading.Thread(target=self._run, name="streamcli-http", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        cond = self._cond
        try:
            if self._cancelled.is_set():
                raise ConnectionAbortedError("the request was cancelled before it was sent")
            response = self._http.send(self._call, self._cancelled)
        except Exception as exc:  # handed to the consumer, which explains it
            with cond:
                self.failure = exc
                self._ended = True
                cond.notify_all()
            return
        with cond:
            self.response = response
            cond.notify_all()
        try:
            for chunk in response.iter_bytes():
                with cond:
                    self._chunks.append(chunk)
                    self._held += len(chunk)
                    cond.notify_all()
                    cond.wait_for(lambda: self._held < HELD or self._woken)
        except Exception as exc:
            self.error = exc
        finally:
            with cond:
                self._ended = True
                cond.notify_all()

    def headers(self, timeout: float) -> httpx.Response | None:
        """The response once its headers arrived; None after `timeout` seconds (or when
        woken); raises the exception that stopped the request."""
        with self._cond:
            self._cond.wait_for(
                lambda: self.response is not None or self.failure is not None or self._woken,
                timeout,
            )
            if self.failure is not None:
                raise self.failure
            return self.response

    def take(self, timeout: float) -> tuple[list[bytes], bool] | None:
        """Every body chunk that arrived and whether the body is over; None after
        `timeout` seconds without either (or when woken)."""
        with self._cond:
            self._cond.wait_for(lambda: self._chunks or self._ended or self._woken, timeout)
            if not self._chunks and not self._ended:
                return None
            chunks, self._chunks = self._chunks, []
            self._held = 0
            self._cond.notify_all()  # the reading thread may go on
            return chunks, self._ended

    def wake(self) -> None:
        """Make a waiting `headers` or `take` return now (the stream is being stopped)."""
        self._cancelled.set()
        with self._cond:
            self._woken = True
            self._cond.notify_all()

    def close(self) -> None:
        """Done with it: cut the connection if the body is still coming, release it. A
        client that keeps its connection (a session) first waits a moment for the end of
        a body the reply is over in (the last chunk's terminator is on its way)."""
        with self._cond:
            self._chunks, self._held = [], 0
            self._cond.notify_all()  # a reading thread that waited reads on, to its end
            if not self._ended and self._http.linger:
                self._cond.wait_for(lambda: self._ended, self._http.linger)
            ended = self._ended
        if not ended:
            self._cancelled.set()  # a connection still being made is cut once it is there
            self._http.abort()
        if self.response is not None:
            with contextlib.suppress(Exception):
                self.response.close()

    def small_body(self, limit: int, timeout: float) -> Any:
        """The body of a small answer (an error or a list), parsed as JSON when it is JSON."""
        deadline = time.monotonic() + timeout
        parts: list[bytes] = []
        size = 0
        while size < limit:
            got = self.take(max(0.0, deadline - time.monotonic()))
            if got is None:
                break
            chunks, ended = got
            parts.extend(chunks)
            size += sum(map(len, chunks))
            if ended:
                break
        data = b"".join(parts)[:limit]
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            return data.decode("utf-8", "replace")
