"""A "loading model…" spinner on the terminal while llama.cpp loads a model.

The spinner writes to its own duplicate of stderr's descriptor, taken before the load
starts, so whatever a binding does with the standard descriptors meanwhile (some point
them at /dev/null while loading) cannot hide it; it erases its line when the model is
loaded.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from types import TracebackType
from typing import TextIO

from streamcli.sinks import spinner

LABEL = "loading model…"


class LoadingSpinner:
    """A context manager that turns a spinner on `stream` (None: shows nothing)."""

    def __init__(self, stream: TextIO | None) -> None:
        self._fd: int | None = None
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        if stream is not None:
            with contextlib.suppress(AttributeError, OSError, ValueError):
                stream.flush()
                self._fd = os.dup(stream.fileno())

    def __enter__(self) -> LoadingSpinner:
        if self._fd is not None:
            self._thread = threading.Thread(target=self._spin, name="loading", daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()
        if self._fd is not None:
            self._write("\r\x1b[K")
            os.close(self._fd)

    def _spin(self) -> None:
        started = time.monotonic()
        while True:
            elapsed = time.monotonic() - started
            self._write(f"\r{spinner.frame(elapsed)} {LABEL}")
            if self._done.wait(spinner.INTERVAL):
                return

    def _write(self, text: str) -> None:
        assert self._fd is not None
        with contextlib.suppress(OSError):
            os.write(self._fd, text.encode("utf-8"))
