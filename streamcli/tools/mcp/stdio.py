"""The stdio transport to an MCP server: its process, and its messages a line at a time.

Used in place of the SDK's `stdio_client`, with the same streams (`SessionMessage` or an
`Exception` to read, `SessionMessage` to write), so the SDK's `ClientSession` runs on it
unchanged. Two differences: reading is linear in a message's size (bytes gathered in one
buffer, searched for a newline only where it was not searched before), and one message
line longer than `LINE_LIMIT` is refused: what was held of it is dropped, `refused` says
why, the session sees the connection end (the calls waiting on it fail), and the server
is stopped. The process is started and stopped as the SDK does: its own session (process
group), stdin closed, then after a grace the group gets SIGTERM, then SIGKILL.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, TextIO

import anyio
import anyio.abc
import anyio.lowlevel

from streamcli.capped import size_words

LINE_LIMIT = 64 * 1024 * 1024  # bytes in one message from a server
SHOWN = 200  # characters of a line that is not a message, in the log
GRACE = 2.0  # seconds a server has to exit once its stdin is closed
KILL_GRACE = 2.0  # seconds between SIGTERM and SIGKILL to its process group
FLUSH = 0.5  # seconds the writer has to send what it was given, at the end

logger = logging.getLogger("mcp.client.stdio")  # to the SDK's log file, with its records


class LineTooLong(Exception):
    """A message line past the limit."""


class Lines:
    """Bytes in, whole lines out, in time linear in the bytes; a line that grows past
    `limit` raises `LineTooLong` (having held at most the limit and one read of it)."""

    def __init__(self, limit: int = LINE_LIMIT) -> None:
        self.limit = limit
        self._held = bytearray()
        self._searched = 0  # bytes of `_held` known to hold no newline

    def feed(self, data: bytes) -> list[bytearray]:
        """The lines `data` completes (without their newlines)."""
        held = self._held
        held += data
        end = held.find(b"\n", self._searched)
        if end < 0:
            self._searched = len(held)
            if len(held) > self.limit:
                self._held, self._searched = bytearray(), 0
                raise LineTooLong
            return []
        rest = held[end + 1 :]  # within the last read: small
        del held[end:]  # the first line, possibly long, is not copied
        *lines, tail = [held, *rest.split(b"\n")]
        self._held, self._searched = tail, len(tail)
        if any(len(line) > self.limit for line in (held, tail)):
            self._held, self._searched = bytearray(), 0
            raise LineTooLong
        return lines


@dataclass
class StdioServer:
    """How to start one server over stdio, and whether its output was refused."""

    argv: list[str]
    env: dict[str, str]
    cwd: str | None
    errlog: TextIO
    limit: int = LINE_LIMIT
    refused: str | None = None  # why the connection was ended by us


@contextlib.asynccontextmanager
async def stdio_transport(server: StdioServer) -> AsyncIterator[tuple[Any, Any]]:
    """Start the server; yield (read stream, write stream); stop it at the end."""
    from mcp.client.stdio import get_default_environment
    from mcp.shared.message import SessionMessage

    process = await anyio.open_process(
        server.argv,
        env=get_default_environment() | server.env,
        stderr=server.errlog,
        cwd=server.cwd,
        start_new_session=True,
    )
    # No await until the task group is entered, or a cancellation would leak the process.
    read_send, read_stream = anyio.create_memory_object_stream[SessionMessage | Exception](0)
    write_stream, write_receive = anyio.create_memory_object_stream[SessionMessage](0)
    writer_done = anyio.Event()

    async def read() -> None:
        assert process.stdout is not None
        lines = Lines(server.limit)
        try:
            async with read_send:
                async for data in process.stdout:
                    batch = lines.feed(data)
                    while batch:  # each line is let go of as it is parsed
                        message = _message(batch.pop(0))
                        if message is not None:
                            await read_send.send(message)
                        del message
        except LineTooLong:
            server.refused = f"it sent a message longer than {size_words(server.limit)} (the limit)"
            logger.warning("refused the server's message: longer than %d bytes", server.limit)
            group.start_soon(_stop, process)
        except (anyio.ClosedResourceError, anyio.BrokenResourceError, ConnectionError):
            pass  # the session or the pipe is gone
        finally:
            await _drain(process.stdout)

    async def write() -> None:
        assert process.stdin is not None
        try:
            async with write_receive:
                async for message in write_receive:
                    json = message.message.model_dump_json(by_alias=True, exclude_unset=True)
                    await process.stdin.send((json + "\n").encode())
        except (anyio.ClosedResourceError, anyio.BrokenResourceError, OSError):
            await read_send.aclose()  # the session sees the connection end
        finally:
            writer_done.set()

    async with anyio.create_task_group() as group:
        group.start_soon(read)
        group.start_soon(write)
        try:
            yield read_stream, write_stream
        finally:
            with anyio.CancelScope(shield=True):  # every wait inside is bounded
                read_stream.close()
                write_stream.close()
                with anyio.move_on_after(FLUSH):
                    await writer_done.wait()
                await _stop(process)
                for stream in (read_stream, write_stream, read_send, write_receive):
                    await stream.aclose()
            group.cancel_scope.cancel()


def _message(line: bytearray) -> Any:
    """One line as a JSON-RPC message, or the error that says why it is not one. The line
    is parsed to Python values and let go before they are validated: each long string is
    then held once (`validate_json` would hold it three times over)."""
    import mcp_types
    import pydantic_core

    from mcp.shared.message import SessionMessage

    if not line or line.isspace():
        return None
    start = bytes(line[:SHOWN]).decode("utf-8", "replace")
    try:
        value = pydantic_core.from_json(line)
        del line  # the caller holds no other reference
        message = mcp_types.jsonrpc_message_adapter.validate_python(value, by_name=False)
    except ValueError as exc:
        logger.warning("a line from the server is not a JSON-RPC message (%s): %r", exc, start)
        return exc
    return SessionMessage(message)


async def _drain(stdout: anyio.abc.ByteReceiveStream) -> None:
    """Read and drop what the server still writes, so it is not blocked on a full pipe."""
    with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
        while True:
            await stdout.receive()


async def _stop(process: anyio.abc.Process) -> None:
    """Close its stdin; after `GRACE`, SIGTERM its process group, then SIGKILL."""
    from mcp.os.posix.utilities import terminate_posix_process_tree

    assert process.stdin is not None and process.stdout is not None
    with contextlib.suppress(Exception):
        await process.stdin.aclose()
    if not await _exited(process, GRACE):
        await terminate_posix_process_tree(process, KILL_GRACE)
        if not await _exited(process, KILL_GRACE):
            logger.warning("MCP server process %d is still alive after SIGKILL", process.pid)
    with contextlib.suppress(Exception):
        await process.stdout.aclose()
    transport = getattr(getattr(process, "_process", None), "_transport", None)
    close = getattr(transport, "close", None)  # else it warns at exit while a child holds a pipe
    if callable(close):
        with contextlib.suppress(PermissionError):
            close()


async def _exited(process: anyio.abc.Process, within: float) -> bool:
    """Whether the process ended within `within` seconds (not `wait()`: that also waits
    for the pipes, which a child of the server may hold open)."""
    with anyio.move_on_after(within):
        while process.returncode is None:
            await anyio.sleep(0.01)
    return process.returncode is not None
