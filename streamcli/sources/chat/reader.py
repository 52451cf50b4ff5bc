"""Reading a response body in its own thread.

The thread does nothing but read; whoever consumes the body waits with a deadline (the
stall watchdog's) and takes everything that arrived since it last looked, so a burst of
many small HTTP chunks is parsed and handed on as one batch, and a slow stream's chunks
are handed on one by one, at once.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx


class BodyReader:
    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self._cond = threading.Condition(threading.Lock())
        self._chunks: list[bytes] = []
        self._ended = False
        self._woken = False
        self.error: Exception | None = None  # why the body ended early, if it did
        self.bytes = 0
        self._thread = threading.Thread(target=self._run, name="streamcli-http", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        cond = self._cond
        try:
            for chunk in self._response.iter_bytes():
                with cond:
                    self._chunks.append(chunk)
                    cond.notify()
        except Exception as exc:  # handed to the consumer, which explains it
            self.error = exc
        finally:
            with cond:
                self._ended = True
                cond.notify()

    def take(self, timeout: float) -> tuple[list[bytes], bool] | None:
        """Every chunk that arrived and whether the body is over; None after `timeout`
        seconds without either (or when woken by `wake`)."""
        with self._cond:
            if not self._chunks and not self._ended and not self._woken:
                self._cond.wait(timeout)
            if not self._chunks and not self._ended:
                return None
            chunks, self._chunks = self._chunks, []
            for chunk in chunks:
                self.bytes += len(chunk)
            return chunks, self._ended

    def wake(self) -> None:
        """Make a waiting `take` return now (the stream is being stopped)."""
        with self._cond:
            self._woken = True
            self._cond.notify()

    @property
    def ended(self) -> bool:
        return self._ended

    def join(self, timeout: float) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()
