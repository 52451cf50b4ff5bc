"""The hand-over from a source's worker thread to the pump: bounded, and waking the pump
only when it has to.

A `queue.Queue` wakes its reader for every item; at a thousand chunks a second that is
a thousand thread switches for frames that are drawn thirty times a second. Here the
pump says how it waits: *eagerly* (it is idle, so the first item is a leading edge and
goes out at once) or *lazily* (a frame is coming anyway: wake it only when the channel
is half full, or for an item that is not a batch — the end, a failure, a hold).
"""

from __future__ import annotations

import threading
from collections import deque


class Channel:
    """A bounded hand-over of batches from a source's thread to the pump."""

    def __init__(self, capacity: int) -> None:
        self._items: deque[object] = deque()
        self._capacity = capacity
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._taken = threading.Condition(self._lock)
        self._eager = True
        self._woken = False

    def put(self, item: object, timeout: float) -> bool:
        """Add `item`; False if the channel stayed full for `timeout` seconds."""
        with self._lock:
            if len(self._items) >= self._capacity and not self._taken.wait_for(
                lambda: len(self._items) < self._capacity, timeout
            ):
                return False
            self._items.append(item)
            if self._eager or 2 * len(self._items) >= self._capacity or type(item) is not list:
                self._arrived.notify()
            return True

    def wake(self) -> None:
        """Wake a waiting `take` with nothing (the pump has something else to look at)."""
        with self._lock:
            self._woken = True
            self._arrived.notify()

    def take(self, timeout: float | None, eager: bool = True) -> list[object]:
        """Everything waiting; if nothing is, wait up to `timeout` seconds (eagerly or
        lazily, see above) and return what arrived, possibly nothing."""
        with self._lock:
            if not self._items and not self._woken:
                self._eager = eager
                self._arrived.wait(timeout)
                self._eager = True
            self._woken = False
            items = list(self._items)
            self._items.clear()
            self._taken.notify_all()
            return items
