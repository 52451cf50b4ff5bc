"""The hand-over from a pipeline's thread to the event loop (`serve.bridge`)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from streamcli.serve.bridge import Bridge, ClientGone


def run(main):
    """`asyncio.run(main())` in a thread of its own (another test may have left an event
    loop running in this one: Playwright's sync API does)."""
    result: list[object] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(main()))
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(30)
    if failure:
        raise failure[0]
    return result[0]


def test_items_in_order_and_the_end_stays_the_end():
    async def main() -> list[object]:
        bridge = Bridge(asyncio.get_running_loop())
        bridge.put(b"a", 1)

        def later() -> None:
            time.sleep(0.05)
            bridge.put(b"b", 1)
            bridge.end()

        got = [await bridge.get()]
        threading.Thread(target=later).start()
        return [*got, await bridge.get(), await bridge.get(), await bridge.get()]

    assert run(main) == [b"a", b"b", None, None]


def test_a_writer_waits_past_the_limit_and_a_reader_gone_frees_it():
    async def main() -> list[str]:
        bridge = Bridge(asyncio.get_running_loop(), limit=10)
        said: list[str] = []

        def write() -> None:
            bridge.put(b"x" * 10, 10)
            said.append("first")
            try:
                bridge.put(b"y", 1)  # held back: 10 bytes wait for the reader
            except ClientGone:
                said.append("gone")

        writer = threading.Thread(target=write)
        writer.start()
        await asyncio.sleep(0.2)
        said.append("waiting" if writer.is_alive() else "not waiting")
        bridge.gone()
        await asyncio.get_running_loop().run_in_executor(None, writer.join, 5)
        return said

    assert run(main) == ["first", "waiting", "gone"]


def test_a_client_that_reads_nothing_for_the_stall_is_gone():
    async def main() -> None:
        bridge = Bridge(asyncio.get_running_loop(), limit=1, stall=0.1)
        bridge.put(b"x", 1)
        with pytest.raises(ClientGone, match="read nothing"):
            await asyncio.get_running_loop().run_in_executor(None, bridge.put, b"y", 1)

    run(main)


def test_what_waits_is_taken_together_and_a_quiet_spell_gives_nothing():
    async def main() -> list[object]:
        bridge = Bridge(asyncio.get_running_loop())
        for data in (b"a", b"b", b"c"):
            bridge.put(data, 1)  # the reader is busy: nobody is woken, all wait
        together = await bridge.take()
        quiet = await bridge.take(timeout=0.05)
        threading.Thread(target=lambda: (time.sleep(0.05), bridge.put(b"d", 1))).start()
        woken = await bridge.take(timeout=5)
        bridge.end()
        return [together, quiet, woken, await bridge.take(), await bridge.get()]

    assert run(main) == [[b"a", b"b", b"c"], [], [b"d"], None, None]


def test_the_room_taken_items_held_comes_back():
    async def main() -> list[str]:
        bridge = Bridge(asyncio.get_running_loop(), limit=2)
        bridge.put(b"x", 1)
        bridge.put(b"y", 1)  # the limit: the next put waits
        loop = asyncio.get_running_loop()
        waiting = loop.run_in_executor(None, bridge.put, b"z", 1)
        await asyncio.sleep(0.1)
        said = ["waiting" if not waiting.done() else "not waiting"]
        assert await bridge.take() == [b"x", b"y"]
        await asyncio.wait_for(waiting, 5)
        said.append("put")
        return said

    assert run(main) == ["waiting", "put"]
