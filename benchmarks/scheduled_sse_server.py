"""An OpenAI-style SSE server with an exact schedule, that logs when it wrote each chunk.

    python benchmarks/scheduled_sse_server.py --ttft 0.2 --gap 0.02 --chunks 20 [--spread S]
    python benchmarks/scheduled_sse_server.py --gap 0.001 --text answer.md --piece 3

Prints ``PORT <n>`` when it listens. Every answer: the role chunk at once, content chunk k
at ``ttft + k * gap`` seconds after the request arrived (an absolute schedule, so lateness
does not add up), then finish, usage and ``[DONE]``. A chunk's content is ``w<k> ``, or,
with ``--text FILE``, the file's next ``--piece`` characters (as many chunks as it takes).
With ``--spread S`` each answer's first chunk comes up to S seconds later (evenly spread,
the same sequence every run), so a closed loop's streams do not all end, and start again,
at the same instant; the log says each answer's own ``ttft``. One thread, asyncio: the
time of each write is taken just before the write system call, so it is the truth a
client's timestamps are compared with (same CLOCK_MONOTONIC across processes on Linux).
When stdin closes it prints one JSON line per request (``id``, ``received``, ``ttft``,
``writes``) and exits; with ``--log FILE`` it also appends each line to FILE as soon as
that answer is over.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

import orjson

ROLE = {"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}


def sse(payload: object) -> bytes:
    return b"data: " + orjson.dumps(payload) + b"\n\n"


def chunked(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


class Server:
    def __init__(
        self,
        ttft: float,
        gap: float,
        chunks: int,
        pieces: list[str] | None = None,
        log: str | None = None,
        spread: float = 0.0,
    ) -> None:
        self.ttft = ttft
        self.spread = spread
        self.answers = 0
        self.gap = gap
        self.pieces = pieces or [f"w{k} " for k in range(chunks)]
        self.chunks = len(self.pieces)
        self.log: list[dict] = []
        self.live = open(log, "ab") if log else None  # noqa: SIM115

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                received = time.monotonic()
                headers = dict(
                    line.split(":", 1) for line in head.decode("latin-1").split("\r\n")[1:] if line
                )
                headers = {k.strip().lower(): v.strip() for k, v in headers.items()}
                await reader.readexactly(int(headers.get("content-length", "0")))
                await self.answer(writer, headers.get("x-request-id", ""), received)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def answer(self, writer: asyncio.StreamWriter, request_id: str, received: float) -> None:
        writes: list[float] = []
        # the golden ratio's fractional parts: evenly spread, never repeating
        self.answers += 1
        ttft = self.ttft + self.spread * ((self.answers * 0.6180339887) % 1.0)
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"transfer-encoding: chunked\r\n\r\n" + chunked(sse(ROLE))
        )
        for k in range(self.chunks):
            due = received + ttft + k * self.gap
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            content = self.pieces[k]
            data = chunked(sse({"choices": [{"index": 0, "delta": {"content": content}}]}))
            writes.append(time.monotonic())
            writer.write(data)
        tail = sse({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        tail += sse(
            {"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": self.chunks}}
        )
        writer.write(chunked(tail + b"data: [DONE]\n\n") + b"0\r\n\r\n")
        await writer.drain()
        item = {"id": request_id, "received": received, "ttft": ttft, "writes": writes}
        self.log.append(item)
        if self.live is not None:
            self.live.write(orjson.dumps(item) + b"\n")
            self.live.flush()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ttft", type=float, default=0.2)
    parser.add_argument("--gap", type=float, default=0.02)
    parser.add_argument("--chunks", type=int, default=20)
    parser.add_argument("--text", help="send this file's text instead of w0 w1 …")
    parser.add_argument("--piece", type=int, default=3, help="characters per chunk of --text")
    parser.add_argument("--spread", type=float, default=0.0, help="up to S s more TTFT")
    parser.add_argument("--log", metavar="FILE", help="also append each answer's line here")
    args = parser.parse_args()
    pieces = None
    if args.text:
        with open(args.text, encoding="utf-8") as file:
            text = file.read()
        pieces = [text[i : i + args.piece] for i in range(0, len(text), args.piece)]
    server = Server(args.ttft, args.gap, args.chunks, pieces, args.log, args.spread)
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0, backlog=1024)
    print("PORT", listener.sockets[0].getsockname()[1], flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until stdin closes
    listener.close()
    for item in server.log:
        sys.stdout.write(orjson.dumps(item).decode() + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main())
