"""llama.cpp in this process, through xllamacpp: load a GGUF model, stream completions.

xllamacpp ships llama.cpp prebuilt (a manylinux wheel: no compiler, seconds to install)
and exposes llama-server's request handlers as Python calls: a request's chunks, in the
OpenAI shapes, go to a callback, which returns True to stop the request. It is imported
only here, and only when a local model is used.

The server core also insists on listening for HTTP. It gets a Unix socket in a private
temporary directory (mode 0700) and a random API key, so nothing else on the machine can
reach it and no TCP port is opened; its web page is off. Its log is off too (llama.cpp's
chatter must not reach a terminal streamcli draws on); when a model fails to load, the
reason is found by loading it once more in a child process that shows its errors.

Stopping: llama.cpp's computation cannot be left in the middle of a batch, so a stopped
request ends at its next chunk — the next token, or the next `PROMPT_BATCH` tokens of a
long prompt. At exit, a process whose engine is still inside a batch would crash in
llama.cpp's teardown: `_leave_if_busy` then ends the process at once, with its status,
once the standard streams are flushed (everything else was closed by then).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from streamcli import errors
from streamcli.errors import BadInput
from streamcli.sources.chat.local.bundled import INSTALL_HINT, LocalUnavailable

PROMPT_BATCH = 256  # prompt tokens per step: how often a long prompt's reading can stop
EXIT_GRACE = 0.25  # seconds the process waits at exit for a stopped request to leave

Chunk = dict[str, Any]
_engines: set[Engine] = set()
_engines_lock = threading.Lock()


class Engine:
    """A loaded model, answering one request at a time (others wait their turn)."""

    def __init__(self, server: Any, workdir: str) -> None:
        self._server: Any = server
        self._workdir = workdir
        self._inside = 0  # requests running in llama.cpp now
        self._closing = False
        self._lock = threading.Lock()
        with _engines_lock:
            _engines.add(self)

    @property
    def busy(self) -> bool:
        return self._inside > 0

    def stream(self, route: str, body: dict[str, Any], on_chunk: Callable[[Chunk], bool]) -> None:
        """Run one request on `route` ("completions" or "chat"); `on_chunk` gets each chunk
        and returns True to stop. An error arrives as a chunk with an "error" object."""
        with self._lock:
            if self._server is None:
                raise RuntimeError("the model was unloaded")
            self._inside += 1
            server = self._server
        try:
            handler = (
                server.handle_chat_completions if route == "chat" else server.handle_completions
            )
            handler(body, on_chunk)
        finally:
            with self._lock:
                self._inside -= 1
                last = self._inside == 0 and self._closing
            if last:
                self._unload()

    def close(self) -> None:
        """Unload the model: now, or when the last request still inside leaves."""
        with self._lock:
            self._closing = True
            idle = self._inside == 0
        if idle:
            self._unload()

    def _unload(self) -> None:
        with self._lock:
            server, self._server = self._server, None
        if server is not None:
            del server  # joins llama.cpp's threads
            shutil.rmtree(self._workdir, ignore_errors=True)
        with _engines_lock:
            _engines.discard(self)


def load(path: Path, *, context: int) -> Engine:
    """Load the GGUF model at `path` with a context of `context` tokens.

    Call it from the main thread: it puts back Python's own SIGINT and SIGTERM handlers,
    which llama.cpp's server may replace with its own.
    """
    try:
        import xllamacpp
    except ImportError:
        raise LocalUnavailable(f"the local provider needs xllamacpp: {INSTALL_HINT}") from None
    workdir = tempfile.mkdtemp(prefix="streamcli-model-")  # mode 0700: ours alone
    params = _params(xllamacpp, path, context, workdir)
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        server = xllamacpp.Server(params)
    except RuntimeError:
        shutil.rmtree(workdir, ignore_errors=True)
        raise BadInput(f"llama.cpp cannot load the model {path}: {_load_failure(path)}") from None
    finally:
        with contextlib.suppress(ValueError, TypeError):  # not the main thread
            for signum, handler in handlers.items():
                signal.signal(signum, handler)
    # The server's loop starts in a thread of its own after the load; unloading before it
    # has started would wait for it forever (it would miss the request to stop). One tiny
    # request, answered by the loop, makes sure it runs.
    server.handle_completions({"prompt": " ", "max_tokens": 1, "temperature": 0})
    return Engine(server, workdir)


def _params(xllamacpp: Any, path: Path, context: int, workdir: str) -> Any:
    params = xllamacpp.CommonParams()
    params.model.path = os.fspath(path)
    params.n_ctx = context
    params.n_parallel = 1
    params.n_batch = params.n_ubatch = PROMPT_BATCH
    params.swa_full = False  # sliding-window layers keep only their window (less memory)
    # Fitting the model to a GPU's free memory loads it twice; on a CPU there is nothing to
    # fit (2.2-2.8 s to load the bundled model with it off, 4.8-5.3 s on, load average 4-7).
    params.fit_params = False
    params.verbosity = -1  # silent; `_load_failure` finds the reason for a failed load
    params.hostnames = [os.path.join(workdir, "llama.sock")]
    params.api_keys = [secrets.token_urlsafe(32)]
    params.ui = False
    # As llama-cpp-python did: half the cores generate (one token is a small step), all
    # of them read the prompt (a batch is a big one).
    cores = os.cpu_count() or 1
    params.cpuparams.n_threads = max(cores // 2, 1)
    params.cpuparams_batch.n_threads = cores
    return params


_PROBE = """
import sys, tempfile, xllamacpp
p = xllamacpp.CommonParams()
p.model.path, p.n_ctx, p.verbosity, p.ui, p.warmup = sys.argv[1], 256, 1, False, False
p.hostnames = [tempfile.mkdtemp() + "/probe.sock"]
xllamacpp.Server(p)
"""


def _load_failure(path: Path) -> str:
    """Why llama.cpp cannot load `path`: the last error it logs when it tries again."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", _PROBE, os.fspath(path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "the file is not a model llama.cpp can read"
    reasons = [
        line.split(": ", 1)[-1].split("error loading model: ", 1)[-1].strip()
        for line in done.stderr.splitlines()
        if "error loading model" in line or "failed to load model" in line
    ]
    return reasons[0] if reasons else "the file is not a model llama.cpp can read"


def _busy() -> bool:
    with _engines_lock:
        return any(engine.busy for engine in _engines)


@atexit.register
def _leave_if_busy() -> None:
    """At exit: give a stopped request a moment to leave llama.cpp; if it is still inside
    a batch, flush the standard streams and end the process now (see the module's
    docstring), with the status it was exiting with."""
    deadline = time.monotonic() + EXIT_GRACE
    while _busy() and time.monotonic() < deadline:
        time.sleep(0.01)
    if not _busy():
        return
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(errors.exit_status())
