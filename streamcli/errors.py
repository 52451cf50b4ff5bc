"""Failures streamcli reports to the user, each with its documented exit status, and the
one line that reports them."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from typing import TextIO

OK = 0
FAILURE = 1
USAGE = 2
HUNG_UP = 129
INTERRUPTED = 130
TERMINATED = 143

# Every exit status and when it happens: the man page and docs/reference/exit-status.md
# are generated from this (scripts/generate_docs.py).
EXIT_STATUSES: tuple[tuple[int, str], ...] = (
    (
        OK,
        "The stream completed; also when the reader of stdout went away "
        "(`streamcli … | head`), which ends the program quietly, and when the history "
        "could not be written (a warning says so: the answer itself was shown).",
    ),
    (
        FAILURE,
        "A runtime failure: connection, HTTP error, protocol error, truncated stream, a "
        "tool failure that ends the chat; a recording (`--record`) that could not be "
        "written (the stream itself went on); stdout closed (`>&-`) or failing "
        "(`>/dev/full`).",
    ),
    (
        USAGE,
        "Bad usage or bad input: unknown option, unreadable file, malformed recording, a "
        "model file that cannot be loaded, a `--record` file that is being read; stdin "
        "closed (`<&-`) where it is read.",
    ),
    (HUNG_UP, "Hung up (SIGHUP); what arrived so far was written."),
    (INTERRUPTED, "Interrupted by Ctrl-C (SIGINT); what arrived so far was written."),
    (TERMINATED, "Terminated by SIGTERM; what arrived so far was written."),
)


class StreamcliError(Exception):
    """An expected failure: one line on stderr, an `error` event, an exit status.

    `kind` names the failure in the `error` event; `status` is an HTTP status when there
    is one; `retryable` says whether trying again may help.
    """

    exit_code = FAILURE
    kind = "error"

    def __init__(
        self,
        message: str,
        *,
        kind: str | None = None,
        status: int | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if kind is not None:
            self.kind = kind
        self.status = status
        self.retryable = retryable


class BadInput(StreamcliError):
    """Bad usage or bad input: an unreadable file, a malformed recording (exit 2)."""

    exit_code = USAGE
    kind = "bad_input"


def error_line(message: str) -> str:
    """The line that tells the user what failed: `streamcli: error: …`, sanitized."""
    from streamcli.sanitize import sanitize  # not at start-up: its pattern takes a while

    return f"streamcli: error: {sanitize(message)}"


def report(stderr: TextIO, message: str) -> None:
    """Write the error line for `message` on `stderr` (the one place that does)."""
    stderr.write(error_line(message) + "\n")
    stderr.flush()


def silence_stdout() -> None:
    """The reader of stdout went away (`| head`): point stdout at /dev/null so the
    interpreter's final flush cannot fail again."""
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)


_exiting = OK


def exiting(status: int) -> int:
    """Note `status` as the one the process is about to exit with; returns it."""
    global _exiting
    _exiting = status
    return status


def exit_status() -> int:
    """The status noted by `exiting`: for an exit that must skip the interpreter's own
    teardown (`os._exit`), while a local model is still computing."""
    return _exiting


def status_of(run: Callable[[], int], stderr: TextIO) -> int:
    """`run()`'s exit status, for a command that writes no stream: a `StreamcliError` is
    its one line on `stderr` and its status; a reader of stdout gone away is 0."""
    try:
        return run()
    except StreamcliError as exc:
        report(stderr, exc.message)
        return exc.exit_code
    except BrokenPipeError:
        silence_stdout()
        return OK
