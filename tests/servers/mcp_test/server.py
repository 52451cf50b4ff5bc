"""A real MCP server for the tests, written with the SDK's server API (`MCPServer`).

    python server.py stdio              # over stdin/stdout
    python server.py http PORT_FILE     # streamable HTTP on 127.0.0.1 (/mcp), a free
                                           # port, written to PORT_FILE once it listens
    python server.py sse PORT_FILE      # the older SSE transport (/sse), likewise

Tools: `echo` (text back), `slow` (progress notifications, then done), `fail` (raises: an
`isError` result), `hang` (sleeps until cancelled; it notes the cancellation on stderr),
`crash` (a line on stderr, then the process exits), `environment` (its environment as
JSON), `flood` (N bytes of text; FastMCP sends it twice, as content and as structured
content), `flood_once` (N bytes of text, sent once), `picture` (an image and a resource). With
``MCP_TEST_START_DELAY`` set, it sleeps that many seconds before serving (start-up tests).
"""

from __future__ import annotations

import base64
import json
import os
import socket
import sys
import time

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp_types import EmbeddedResource, ImageContent, TextContent, TextResourceContents

server = MCPServer("streamcli-test")
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * (12 * 1024 - 8)).decode()


@server.tool()
def echo(text: str) -> str:
    """Say `text` back."""
    return f"echo: {text}"


@server.tool()
async def slow(steps: int, ctx: Context, pause: float = 0.05, label_from: str = "") -> str:
    """Count to `steps`, reporting progress after each."""
    label = os.environ.get(label_from, "step") if label_from else "step"
    for step in range(1, steps + 1):
        await anyio.sleep(pause)
        await ctx.report_progress(step, steps, f"{label} {step}")
    return f"counted to {steps}"


@server.tool()
def fail(reason: str = "it went wrong") -> str:
    """Raise an error."""
    raise ValueError(reason)


@server.tool()
async def hang() -> str:
    """Never answer (until cancelled)."""
    try:
        await anyio.sleep(3600)
    except anyio.get_cancelled_exc_class():
        print("hang: cancelled by the client", file=sys.stderr, flush=True)
        raise
    return "woke up"


@server.tool()
def crash() -> str:
    """Die in the middle of the call."""
    print("crash: out of cheese", file=sys.stderr, flush=True)
    os._exit(3)


@server.tool()
def environment() -> str:
    """The server's environment variables as JSON."""
    return json.dumps(dict(os.environ))


@server.tool()
def flood(size: int) -> str:
    """`size` bytes of text."""
    return "x" * size


@server.tool()
def flood_once(size: int) -> list[TextContent]:
    """`size` bytes of text, as content only."""
    return [TextContent(text="x" * size)]


@server.tool()
def picture() -> list[ImageContent | EmbeddedResource | TextContent]:
    """An image, an embedded text resource and a line of text."""
    return [
        TextContent(text="here it is"),
        ImageContent(data=PNG, mime_type="image/png"),
        EmbeddedResource(resource=TextResourceContents(uri="file:///notes.txt", text="the notes")),
    ]


def main() -> None:
    delay = float(os.environ.get("MCP_TEST_START_DELAY") or 0)
    if delay:
        time.sleep(delay)
    if sys.argv[1] == "stdio":
        server.run("stdio")
        return
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    if sys.argv[1] == "sse":
        app = server.sse_app(host="127.0.0.1")
    else:  # "http", or "http-json": each answer one JSON body, not an SSE stream
        app = server.streamable_http_app(host="127.0.0.1", json_response=sys.argv[1] == "http-json")
    config = uvicorn.Config(app, log_level="warning")
    port_file = sys.argv[2]

    async def serve() -> None:
        web = uvicorn.Server(config)

        async def announce() -> None:
            while not web.started:
                await anyio.sleep(0.01)
            with open(port_file + ".tmp", "w") as file:
                file.write(str(sock.getsockname()[1]))
            os.replace(port_file + ".tmp", port_file)

        async with anyio.create_task_group() as group:
            group.start_soon(announce)
            await web.serve(sockets=[sock])

    anyio.run(serve)


if __name__ == "__main__":
    main()
