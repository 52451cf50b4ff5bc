"""A real HTTP/1.1 server on 127.0.0.1 that answers from a script, and misbehaves on demand.

A test scripts the replies per path; each `Reply` is a status, headers and a *body*: a
list of steps, each one of

- ``bytes``: one write (one HTTP chunk with chunked framing), sent at once;
- `Pause`: wait (the client may give up meanwhile; that is noticed);
- `Drop`: close the connection now (``reset=True`` sends a TCP reset);
- `Hang`: send nothing until the client goes away;
- `Trickle`: send the same bytes (a keep-alive ping) every so often until the client goes.

Every request is recorded (`Received`: method, path, headers, body, when each body write
went out, whether the client went away), so tests check request bodies, retry counts and
that Ctrl-C closed the connection::

    with FakeServer() as server:
        server.script("/v1/chat/completions", openai.error(503), openai.stream(["Hi"]))
        ... run streamcli against server.url ...
        assert len(server.received("/v1/chat/completions")) == 2
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import orjson


@dataclass
class Pause:
    seconds: float


@dataclass
class Drop:
    reset: bool = False


@dataclass
class Hang:
    pass


@dataclass
class Trickle:
    data: bytes
    every: float = 0.05
    seconds: float = float("inf")


Step = bytes | Pause | Drop | Hang | Trickle


@dataclass
class Reply:
    status: int = 200
    body: list[Step] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    framing: str = "chunked"  # "chunked", "length" (Content-Length) or "close" (until EOF)
    delay: float = 0.0  # seconds before the status line (a server that thinks first)

    @classmethod
    def json(cls, status: int, document: Any, **headers: str) -> Reply:
        return cls(
            status,
            [orjson.dumps(document)],
            {"content-type": "application/json", **headers},
            framing="length",
        )


@dataclass
class Received:
    method: str
    target: str  # path with the query
    headers: dict[str, str]  # lower-case names
    body: bytes
    at: float  # time.monotonic() when the request had arrived
    # (time.monotonic() as the write began, bytes) for every body write
    writes: list[tuple[float, int]] = field(default_factory=list)
    client_gone: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)  # the reply is over

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    def json(self) -> Any:
        return orjson.loads(self.body)


class FakeServer:
    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._scripts: dict[tuple[str, str], deque[Reply]] = {}
        self._fixed: dict[tuple[str, str], Reply] = {}
        self.requests: list[Received] = []
        self.accepted = 0  # connections accepted
        self._lock = threading.RLock()  # `received()` may be called in a `wait_for` condition
        self._changed = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- scripting -------------------------------------------------------------

    def script(self, path: str, *replies: Reply, method: str = "POST") -> FakeServer:
        """Answer the next requests to `path` with `replies`, in order, one each."""
        with self._lock:
            self._scripts.setdefault((method, path), deque()).extend(replies)
        return self

    def route(self, path: str, reply: Reply, method: str = "GET") -> FakeServer:
        """Answer every request to `path` (once its script is used up) with `reply`."""
        with self._lock:
            self._fixed[(method, path)] = reply
        return self

    def received(self, path: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if path is None or r.path == path]

    def wait_for(self, condition: Callable[[], bool], timeout: float = 15.0) -> bool:
        """Wait until `condition()` holds (checked whenever a request arrives or ends)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(min(remaining, 0.05))
        return True

    # -- running ---------------------------------------------------------------

    def __enter__(self) -> FakeServer:
        thread = threading.Thread(target=self._accept, name="fake-server", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(timeout=2)

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._connections.add(conn)
                self.accepted += 1
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        try:
            while not self._stopping.is_set():
                received = _read_request(reader)
                if received is None:
                    return
                with self._changed:
                    self.requests.append(received)
                    self._changed.notify_all()
                reply = self._reply_for(received)
                try:
                    keep = _Responder(conn, received, self._stopping).send(reply)
                finally:
                    received.finished.set()
                    with self._changed:
                        self._changed.notify_all()
                if not keep or received.headers.get("connection", "").lower() == "close":
                    return
        except OSError:
            return
        finally:
            with self._lock:
                self._connections.discard(conn)
            with contextlib.suppress(OSError):
                reader.close()
                conn.close()

    def _reply_for(self, received: Received) -> Reply:
        key = (received.method, received.path)
        with self._lock:
            queue = self._scripts.get(key)
            if queue:
                return queue.popleft()
            if key in self._fixed:
                return self._fixed[key]
        return Reply.json(
            404, {"error": f"fake server: nothing scripted for {received.method} {received.path}"}
        )


def _read_request(reader: Any) -> Received | None:
    line = reader.readline(65536)
    while line in (b"\r\n", b"\n"):
        line = reader.readline(65536)
    if not line:
        return None
    method, target, _ = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while True:
        line = reader.readline(65536)
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int(reader.readline().split(b";")[0], 16)
            if size == 0:
                reader.readline()
                break
            parts.append(reader.read(size))
            reader.readline()
        body = b"".join(parts)
    else:
        body = reader.read(int(headers.get("content-length", "0")))
    return Received(method, target, headers, body, time.monotonic())


class _Responder:
    """Plays one `Reply` on a connection; returns whether the connection may be reused."""

    def __init__(self, conn: socket.socket, received: Received, stopping: threading.Event):
        self.conn = conn
        self.received = received
        self.stopping = stopping
        self.chunked = False

    def send(self, reply: Reply) -> bool:
        if reply.delay and not self._wait(reply.delay):
            return False
        self.chunked = reply.framing == "chunked"
        headers = {k.lower(): v for k, v in reply.headers.items()}
        if reply.framing == "chunked":
            headers["transfer-encoding"] = "chunked"
        elif reply.framing == "length":
            size = sum(len(step) for step in reply.body if isinstance(step, bytes))
            headers["content-length"] = str(size)
        else:
            headers["connection"] = "close"
        try:
            phrase = HTTPStatus(reply.status).phrase
        except ValueError:
            phrase = "Unknown"
        head = f"HTTP/1.1 {reply.status} {phrase}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
        if not self._raw(head.encode("latin-1")):
            return False
        for step in reply.body:
            if not self._step(step):
                return False
        if self.chunked and not self._raw(b"0\r\n\r\n"):
            return False
        return reply.framing != "close"

    def _step(self, step: Step) -> bool:
        if isinstance(step, bytes):
            return self._write(step)
        if isinstance(step, Pause):
            return self._wait(step.seconds)
        if isinstance(step, Hang):
            self._wait(float("inf"))
            return False
        if isinstance(step, Trickle):
            end = time.monotonic() + step.seconds
            while time.monotonic() < end:
                if not self._write(step.data) or not self._wait(step.every):
                    return False
            return True
        if isinstance(step, Drop):
            if step.reset:
                self.conn.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                )
            else:
                with contextlib.suppress(OSError):
                    self.conn.shutdown(socket.SHUT_RDWR)
            return False  # the connection is closed by the caller
        raise TypeError(f"not a step: {step!r}")

    def _write(self, data: bytes) -> bool:
        if not data:
            return True
        framed = b"%x\r\n%s\r\n" % (len(data), data) if self.chunked else data
        self.received.writes.append((time.monotonic(), len(data)))
        return self._raw(framed)

    def _raw(self, data: bytes) -> bool:
        try:
            self.conn.sendall(data)
            return True
        except OSError:
            self.received.client_gone.set()
            return False

    def _wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`; False as soon as the client has gone (or the server stops)."""
        end = time.monotonic() + seconds
        while not self.stopping.is_set():
            remaining = end - time.monotonic()
            if remaining <= 0:
                return True
            try:
                readable, _, _ = select.select([self.conn], [], [], min(remaining, 0.02))
                if readable and self.conn.recv(1, socket.MSG_PEEK) == b"":
                    self.received.client_gone.set()
                    return False
            except OSError:
                self.received.client_gone.set()
                return False
            if readable:  # the client sent more (a next request): just sleep
                self.stopping.wait(min(remaining, 0.02))
        return False


def split_bytes(data: bytes, size: int) -> list[bytes]:
    """`data` cut into pieces of `size` bytes (one write each): splits characters apart."""
    return [data[i : i + size] for i in range(0, len(data), size)]


def paced(steps: Iterable[Step], seconds: float) -> list[Step]:
    """`steps` with a pause of `seconds` after each."""
    out: list[Step] = []
    for step in steps:
        out.append(step)
        if seconds:
            out.append(Pause(seconds))
    return out
