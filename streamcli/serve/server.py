"""uvicorn, run the way streamcli runs: its signals and its log.

uvicorn's own signal handling is replaced: it would wait for open streams forever (an
SSE response never ends by itself) and raise the signal again on its way out. Here a stop
signal ends the open streams first — each gets its `end` event — and then the server; a
second one exits at once. uvicorn's log becomes one line per error on stderr, never a
traceback.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Iterator
from typing import Any, TextIO

import uvicorn

from streamcli import errors
from streamcli.sanitize import sanitize
from streamcli.serve.runs import Runs
from streamcli.signals import STOP_STATUSES, signal_handlers


class StreamServer(uvicorn.Server):
    """uvicorn's server; `status` is the exit status once it has stopped."""

    def __init__(self, config: Any, runs: Runs, grace: float) -> None:
        super().__init__(config)
        self.runs = runs
        self.grace = grace
        self.status = errors.OK

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        def stop(signum: int, frame: object) -> None:
            if self.should_exit:
                self.force_exit = True
                return
            self.status = STOP_STATUSES.get(signum, errors.INTERRUPTED)
            threading.Thread(target=self._end, name="streamcli-stop", daemon=True).start()

        with signal_handlers(stop, signal.SIGINT, *STOP_STATUSES):
            yield

    def _end(self) -> None:
        """End every stream (its client gets the `end` event), then the server."""
        self.runs.interrupt_all(self.grace)
        self.should_exit = True


def quiet_uvicorn(stderr: TextIO) -> None:
    """uvicorn's errors as one line each on `stderr`, no traceback; nothing else."""

    class OneLine(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            said = record.getMessage()
            text = said.splitlines()[0] if said else ""
            if record.exc_info and record.exc_info[1] is not None:
                problem = record.exc_info[1]
                text = f"{text}: {type(problem).__name__}: {problem}"
            stderr.write(f"streamcli serve: error: {sanitize(text)}\n")
            stderr.flush()

    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers = [OneLine(level=logging.ERROR)]
        logger.propagate = False
