"""When to try a request again: exponential backoff with jitter, honouring Retry-After.

The policy follows openai-python's: retry on connection failures and on HTTP 408, 409,
429 and 5xx; wait ``min(0.5·2ⁿ, 8)`` seconds less up to a quarter (jitter), unless the
server says how long (``retry-after-ms``, ``Retry-After`` in seconds or as an HTTP date).
A server asking for more than `MAX_RETRY_AFTER` seconds is not retried at all.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

RETRYABLE_STATUSES = frozenset({408, 409, 429})
BASE_DELAY = 0.5
MAX_DELAY = 8.0
MAX_RETRY_AFTER = 60.0


@dataclass(frozen=True)
class Limits:
    """How long a chat waits for its reply, and how often it asks again."""

    timeout: float = 60.0  # the longest silence once the answer has started
    first_token_timeout: float = 300.0  # the longest wait for the first piece of content
    connect_timeout: float = 10.0
    retries: int = 2

    @property
    def read_backstop(self) -> float:
        """The HTTP read timeout: later than the stall watchdog, which acts first."""
        return max(self.timeout, self.first_token_timeout) + 5


DEFAULT_LIMITS = Limits()


def retryable_status(status: int) -> bool:
    return status in RETRYABLE_STATUSES or status >= 500


def retry_after(headers: Mapping[str, str], now: Callable[[], float] = time.time) -> float | None:
    """The wait the server asks for, in seconds, or None when it does not say."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        date = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if date is None:
        return None
    return max(0.0, date.timestamp() - now())


def backoff(attempt: int, rand: Callable[[], float] = random.random) -> float:
    """Seconds to wait before retry number `attempt` (0 for the first retry)."""
    return min(BASE_DELAY * 2**attempt, MAX_DELAY) * (1 - 0.25 * rand())


def delay(attempt: int, asked: float | None) -> float | None:
    """The wait before the next try, or None when the server asks for too long a wait."""
    if asked is None:
        return backoff(attempt)
    if asked > MAX_RETRY_AFTER:
        return None
    return asked
