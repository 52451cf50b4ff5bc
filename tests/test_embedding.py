"""The pump is embeddable: several pipelines at once in one process, in any thread, each
with its own sink, changing nothing of the process (no signal handler, stdout untouched)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading

from streamcli import errors, events
from streamcli.pipeline import Pipeline
from streamcli.sinks.jsonl import JsonlSink
from streamcli.stream import ASAP, Sink, Source

HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Ticks(Source):
    """`start`, then a `text` every few milliseconds until `count` or until closed; notes
    the process's signal handlers while it runs."""

    name = "test"

    def __init__(self, count: int = 1_000_000, gap: float = 0.002) -> None:
        self.count = count
        self.gap = gap
        self.closed = threading.Event()
        self.handlers: dict[int, object] = {}

    def batches(self):
        yield [events.start(0.0, "test")]
        self.handlers = {signum: signal.getsignal(signum) for signum in HANDLED}
        for number in range(self.count):
            if self.closed.wait(self.gap):
                return
            yield [events.text(0.0, f"{number} ")]
        yield [events.end(0.0, "stop")]

    def close(self):
        self.closed.set()


class Memory(Sink):
    """An in-memory sink for pipes (no frame clock)."""

    frame_interval = ASAP

    def __init__(self) -> None:
        self.events: list[dict] = []
        self.closed = False

    def write(self, batch):
        self.events.extend(batch)

    def close(self):
        self.closed = True


def _fd1() -> tuple[int, int]:
    status = os.fstat(1)
    return status.st_dev, status.st_ino


def test_two_pipelines_in_threads_one_reader_gone_leaves_the_other_and_the_process_alone():
    before_handlers = {signum: signal.getsignal(signum) for signum in HANDLED}
    before_fd1 = _fd1()
    browser, server_side = socket.socketpair()
    socket_source, memory_source = Ticks(), Ticks(count=300)
    memory = Memory()
    socket_sink = JsonlSink(server_side.makefile("wb", buffering=0))
    results: dict[str, int] = {}

    def run(name: str, pipeline: Pipeline) -> None:
        results[name] = pipeline.run()

    threads = [
        threading.Thread(target=run, args=("socket", Pipeline(socket_source, socket_sink))),
        threading.Thread(target=run, args=("memory", Pipeline(memory_source, memory))),
    ]
    for thread in threads:
        thread.start()
    first = browser.recv(4096)  # the socket client reads a little, then hangs up
    assert b'"type":"start"' in first
    browser.close()
    for thread in threads:
        thread.join(30)
        assert not thread.is_alive()

    assert results == {"socket": errors.OK, "memory": errors.OK}
    assert socket_source.closed.is_set()  # the reader went away: its source was stopped
    kinds = [event["type"] for event in memory.events]
    assert kinds[0] == "start" and kinds[-1] == "end" and kinds.count("text") == 300
    assert memory.events[-1]["reason"] == "stop" and memory.closed
    assert _fd1() == before_fd1  # stdout of the process still where it was
    for source in (socket_source, memory_source):
        assert source.handlers == before_handlers  # nothing was installed while running
    assert {signum: signal.getsignal(signum) for signum in HANDLED} == before_handlers
    server_side.close()


def test_interrupt_from_another_thread_keeps_what_arrived_and_ends_interrupted():
    source, sink = Ticks(), Memory()
    pipeline = Pipeline(source, sink)
    result: list[int] = []
    runner = threading.Thread(target=lambda: result.append(pipeline.run()))
    runner.start()
    while sum(event["type"] == "text" for event in list(sink.events)) < 5:
        runner.join(0.01)
    pipeline.interrupt()
    runner.join(30)
    assert result == [errors.INTERRUPTED]
    assert source.closed.is_set()
    assert sink.events[-1]["type"] == "end" and sink.events[-1]["reason"] == "interrupted"
    texts = [event["text"] for event in sink.events if event["type"] == "text"]
    assert texts == [f"{number} " for number in range(len(texts))]  # in order, none lost


def test_the_core_imports_no_command_line_library():
    """The pump, the sinks, the sources, the toolbox, the chat and the history store can
    be embedded (a server) without Typer or click."""
    modules = [
        "streamcli.pipeline",
        "streamcli.sinks",
        "streamcli.sinks.terminal",
        "streamcli.sinks.jsonl",
        "streamcli.sinks.text",
        "streamcli.sources.chat.chat",
        "streamcli.sources.chat.source",
        "streamcli.sources.tail.source",
        "streamcli.sources.replay.source",
        "streamcli.tools.toolbox",
        "streamcli.history.store",
        "streamcli.history.recorder",
    ]
    code = (
        f"import sys\nfor name in {modules!r}:\n    __import__(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('typer', 'click')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
