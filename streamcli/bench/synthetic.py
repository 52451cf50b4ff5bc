"""The synthetic source of pipeline mode: N chunks of known sizes, flooded or at a rate.

Content is plain ASCII (so a chunk of N bytes is N characters) made from a seeded random
generator: prose (`text`), Markdown with headings, lists, code and tables (`markdown`),
or log lines (`log`, sent as `line` events, one line per chunk). Everything that costs
more than a slice is prepared before the stream starts, so the source measures the
pipeline, not itself.

Arrival times (`arrivals`, on the given monotonic clock) are what the per-chunk latency is
measured from: at a `--rate`, a chunk's scheduled time (so a late source thread counts
against the pipeline, as a late reader would); flooded, the moment its batch is handed to
the pipeline. While it runs the source keeps one number per batch, not per chunk, so the
measurement does not add to the memory it measures; per-chunk figures (`arrivals`,
`bytes_of`) are worked out afterwards.
"""

from __future__ import annotations

import random
import threading
import time
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from streamcli import events
from streamcli.bench.flags import CONTENTS
from streamcli.errors import BadInput
from streamcli.events import Event
from streamcli.options import BadValue, check_number
from streamcli.stream import Source

BATCH_BYTES = 64 * 1024  # a flood is handed over in batches of about one socket read
BATCH_CHUNKS = 1024
CORPUS_BYTES = 256 * 1024
POOL_BYTES = 4 * 1024 * 1024  # log lines prepared for long chunks
LOG_FILE = "bench.log"

_VOCABULARY = (
    "the a of to and in is it that for stream chunk token model server latency frame "
    "terminal output reader buffer render pipeline event batch request answer quick "
    "brown fox jumps over lazy dog while every write reaches screen bytes lines "
    "markdown code block table list heading cursor region spinner flush newline "
    "interval throughput"
)
_WORDS = tuple(_VOCABULARY.split())
_LEVELS = ("INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR")
_COMPONENTS = ("api", "worker-1", "worker-2", "scheduler", "db", "cache", "auth")


MAX_CHUNK_SIZE = 1 << 24  # bytes: 16 MiB


@dataclass(frozen=True)
class ChunkSizes:
    """A chunk size in bytes, or a range drawn uniformly per chunk."""

    low: int
    high: int

    @classmethod
    def parse(cls, spec: str) -> ChunkSizes:
        """`16` or `4-64` (bytes)."""
        text = spec.strip()
        low_text, dash, high_text = text.partition("-")
        try:
            low = int(low_text)
            high = int(high_text) if dash else low
        except ValueError:
            raise BadInput(f"--chunk-size: expected BYTES or MIN-MAX, got {spec!r}") from None
        try:
            check_number(low, 1, MAX_CHUNK_SIZE)
            check_number(high, low, MAX_CHUNK_SIZE)
        except BadValue as exc:
            raise BadInput(f"--chunk-size {spec}: {exc}") from None
        return cls(low, high)

    @property
    def fixed(self) -> bool:
        return self.low == self.high

    def __str__(self) -> str:
        return str(self.low) if self.fixed else f"{self.low}-{self.high}"


@dataclass(frozen=True)
class SyntheticConfig:
    """What the synthetic source of pipeline mode emits: how many chunks, how big, how fast."""

    chunks: int = 100_000
    sizes: ChunkSizes = ChunkSizes(16, 16)
    rate: float | None = None  # chunks per second; None floods
    content: str = "text"
    seed: int = 0


class SyntheticSource(Source):
    """Yields `config.chunks` chunks between a `start` and an `end` event."""

    name = "bench"

    def __init__(
        self, config: SyntheticConfig, clock: Callable[[], float] = time.perf_counter
    ) -> None:
        if config.content not in CONTENTS:
            raise BadInput(f"--content: expected one of {', '.join(CONTENTS)}")
        self.config = config
        self.clock = clock
        self.start_time = 0.0
        self.produced = 0  # chunks handed over so far
        self._batch_ends = array("q")  # flooded: chunks produced at the end of each batch
        self._batch_times = array("d")  # ... and when that batch was handed over
        self._stop = threading.Event()
        self._rng = random.Random(config.seed)
        if config.content == "log":
            self._lines = log_lines(config.seed, config.sizes.high)
            self._take = self._take_line
        else:
            self._corpus = corpus(config.content, config.seed, _corpus_size(config))
            self._take = self._take_text
        self._position = 0

    def close(self) -> None:
        self._stop.set()

    def batches(self) -> Iterator[list[Event]]:
        self.start_time = self.clock()
        first = [events.start(0.0, self.name)]
        if self.config.rate is None:
            yield from self._flood(first)
        else:
            yield from self._paced(first, self.config.rate)

    # -- the two pacing modes -------------------------------------------------

    def _flood(self, batch: list[Event]) -> Iterator[list[Event]]:
        total = self.config.chunks
        sent = 0
        while sent < total and not self._stop.is_set():
            texts = self._texts(total - sent)
            now = self.clock()
            batch.extend(self._events(texts, None, now))
            sent += len(texts)
            self._batch_ends.append(sent)
            self._batch_times.append(now)
            if sent == total:
                batch.append(events.end(self._t(self.clock()), "stop"))
            yield batch
            batch = []

    def _paced(self, batch: list[Event], rate: float) -> Iterator[list[Event]]:
        total = self.config.chunks
        start = self.start_time
        sent = 0
        while sent < total:
            due = min(total, int((self.clock() - start) * rate) + 1)
            if due <= sent:  # wait for the next chunk's time
                if self._stop.wait(max(0.0, start + sent / rate - self.clock())):
                    return
                continue
            texts = self._texts(due - sent)
            times = [start + (sent + i) / rate for i in range(len(texts))]
            batch.extend(self._events(texts, times, 0.0))
            sent += len(texts)
            if sent == total:
                batch.append(events.end(self._t(self.clock()), "stop"))
            yield batch
            batch = []
            if self._stop.is_set():
                return

    # -- building chunks ------------------------------------------------------

    def _texts(self, wanted: int) -> list[str]:
        """The next chunks' texts: up to `wanted`, about one batch's worth of bytes."""
        sizes = self.config.sizes
        randint = self._rng.randint
        take = self._take
        texts: list[str] = []
        size_sum = 0
        limit = min(wanted, BATCH_CHUNKS)
        while len(texts) < limit and size_sum < BATCH_BYTES:
            size = sizes.low if sizes.fixed else randint(sizes.low, sizes.high)
            texts.append(take(size))
            size_sum += size
        self.produced += len(texts)
        return texts

    def _take_line(self, size: int) -> str:
        """The next log line, cut to `size` characters."""
        lines = self._lines
        line = lines[self._position][:size]
        self._position = (self._position + 1) % len(lines)
        return line

    def _take_text(self, size: int) -> str:
        """`size` characters of the corpus, wrapping around at its end."""
        corpus_text = self._corpus
        position = self._position
        piece = corpus_text[position : position + size]
        while len(piece) < size:
            piece += corpus_text[: size - len(piece)]
        self._position = (position + size) % len(corpus_text)
        return piece

    def _events(self, texts: list[str], times: list[float] | None, now: float) -> list[Event]:
        """Events for `texts`, arriving at `times` (one each) or all at `now`."""
        t = self._t
        stamps = [t(when) for when in times] if times is not None else [t(now)] * len(texts)
        if self.config.content == "log":
            return [
                events.line(stamp, text, LOG_FILE)
                for text, stamp in zip(texts, stamps, strict=True)
            ]
        return [events.text(stamp, text) for text, stamp in zip(texts, stamps, strict=True)]

    # -- per-chunk figures, worked out after the run --------------------------

    def arrivals(self, count: int) -> array:
        """When each of the first `count` chunks arrived (clock seconds)."""
        rate = self.config.rate
        if rate is not None:
            start = self.start_time
            return array("d", (start + i / rate for i in range(count)))
        result = array("d")
        done = 0
        for end, when in zip(self._batch_ends, self._batch_times, strict=True):
            take = min(end, count) - done
            if take <= 0:
                break
            result.extend([when] * take)
            done += take
        return result

    def bytes_of(self, count: int) -> int:
        """The bytes of the first `count` chunks (the seed gives the same sizes again)."""
        sizes = self.config.sizes
        if sizes.fixed:
            return count * sizes.low
        randint = random.Random(self.config.seed).randint
        return sum(randint(sizes.low, sizes.high) for _ in range(count))

    def _t(self, when: float) -> float:
        return round(max(0.0, when - self.start_time), 6)


def _corpus_size(config: SyntheticConfig) -> int:
    return max(4096, min(CORPUS_BYTES, config.chunks * config.sizes.high))


def corpus(content: str, seed: int, size: int) -> str:
    """At least `size` characters of ASCII prose or Markdown, the same for the same seed."""
    rng = random.Random(seed)
    make = {"text": _paragraph, "markdown": _markdown_block}[content]
    parts: list[str] = []
    length = 0
    index = 0
    while length < size:
        part = make(rng, index)
        parts.append(part)
        length += len(part)
        index += 1
    return "".join(parts)


def log_lines(seed: int, length: int) -> list[str]:
    """A pool of log lines (no newline), each at least `length` characters long."""
    rng = random.Random(seed)
    count = max(16, min(1024, POOL_BYTES // max(length, 1)))
    lines = []
    for index in range(count):
        line = _log_line(rng, index).rstrip("\n")
        while len(line) < length:
            line += " " + _sentence(rng, rng.randint(3, 12))
        lines.append(line)
    return lines


def _sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(_WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + rng.choice(".....?!")


def _paragraph(rng: random.Random, index: int) -> str:
    sentences = " ".join(_sentence(rng, rng.randint(4, 18)) for _ in range(rng.randint(2, 6)))
    return sentences + "\n\n"


def _markdown_block(rng: random.Random, index: int) -> str:
    kind = rng.choice(("heading", "para", "para", "para", "list", "code", "quote", "table"))
    if kind == "heading":
        return f"{'#' * rng.randint(1, 3)} {_sentence(rng, rng.randint(2, 6))[:-1]}\n\n"
    if kind == "list":
        marker = rng.choice(("-", "*", "1."))
        items = (f"{marker} {_inline(rng)}" for _ in range(rng.randint(2, 6)))
        return "\n".join(items) + "\n\n"
    if kind == "code":
        lines = (
            f"    {rng.choice(_WORDS)}_{i} = {rng.choice(_WORDS)}({rng.randint(0, 99)})"
            for i in range(rng.randint(2, 8))
        )
        return "```python\ndef run():\n" + "\n".join(lines) + "\n```\n\n"
    if kind == "quote":
        return f"> {_inline(rng)}\n\n"
    if kind == "table":
        rows = (
            f"| {rng.choice(_WORDS)} | {rng.randint(0, 9999)} | {rng.choice(_WORDS)} |"
            for _ in range(rng.randint(2, 5))
        )
        return "| name | value | note |\n| --- | ---: | --- |\n" + "\n".join(rows) + "\n\n"
    return _inline(rng) + " " + _paragraph(rng, index)


def _inline(rng: random.Random) -> str:
    """A sentence with some inline Markdown: bold, emphasis, code, a link."""
    words = [rng.choice(_WORDS) for _ in range(rng.randint(4, 12))]
    i = rng.randrange(len(words))
    words[i] = rng.choice((f"**{words[i]}**", f"*{words[i]}*", f"`{words[i]}()`"))
    if rng.random() < 0.2:
        words.append(f"[docs](https://example.com/{rng.choice(_WORDS)})")
    return " ".join(words).capitalize()


def _log_line(rng: random.Random, index: int) -> str:
    ms = index * 7 + rng.randint(0, 6)
    stamp = f"2025-01-01T00:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}Z"
    level = rng.choice(_LEVELS)
    component = rng.choice(_COMPONENTS)
    fields = " ".join(f"{rng.choice(_WORDS)}={rng.randint(0, 9999)}" for _ in range(4))
    return f"{stamp} {level:<5} [{component}] {_sentence(rng, rng.randint(3, 9))} {fields}\n"
