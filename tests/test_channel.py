"""The hand-over between the source thread and the pump."""

from __future__ import annotations

import threading

import pytest

from streamcli.channel import Channel


def put_later(channel: Channel, *items: object) -> threading.Thread:
    def run() -> None:
        for item in items:
            assert channel.put(item, timeout=5)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.timeout(10)
def test_an_eager_take_wakes_at_the_first_batch():
    channel = Channel(8)
    thread = put_later(channel, ["a"])
    assert channel.take(timeout=None, eager=True) == [["a"]]  # would block forever otherwise
    thread.join()


@pytest.mark.timeout(10)
def test_a_lazy_take_wakes_for_the_end_or_a_half_full_channel():
    channel = Channel(4)
    done = object()
    thread = put_later(channel, done)
    assert channel.take(timeout=None, eager=False) == [done]
    thread.join()
    thread = put_later(channel, ["a"], ["b"])  # half of 4
    taken = channel.take(timeout=None, eager=False)
    thread.join()
    taken += channel.take(timeout=0)
    assert taken == [["a"], ["b"]]


def test_everything_waiting_is_taken_at_once_in_order():
    channel = Channel(8)
    for i in range(5):
        assert channel.put([i], timeout=0)
    assert channel.take(timeout=0) == [[0], [1], [2], [3], [4]]
    assert channel.take(timeout=0) == []


def test_a_full_channel_pushes_back():
    channel = Channel(2)
    assert channel.put([1], timeout=0) and channel.put([2], timeout=0)
    assert not channel.put([3], timeout=0.01)  # full: the source waits
    channel.take(timeout=0)
    assert channel.put([3], timeout=0)
