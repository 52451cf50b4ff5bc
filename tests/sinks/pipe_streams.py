"""Streams of text events for the sink tests, and a pipeline run into a real pipe."""

from __future__ import annotations

import io
import os
import threading

from hypothesis import strategies as st

from streamcli import events
from streamcli.pipeline import Pipeline
from streamcli.stream import Source

TEXT = st.lists(
    st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(["\x1b[1A", "\x1b]52;c;eA==\x07", "é", "日本", "🦀", "\r\n", "\n"]),
    ),
    max_size=120,
).map("".join)


class ListSource(Source):
    name = "test"

    def __init__(self, batches):
        self._batches = batches

    def batches(self):
        yield from self._batches


def chunked(text: str, cuts: list[int]) -> list[str]:
    cuts = sorted(c for c in cuts if 0 < c < len(text))
    return [text[i:j] for i, j in zip([0, *cuts], [*cuts, len(text)], strict=True) if i < j]


def stream_events(chunks: list[str], group: int) -> list[list[dict]]:
    all_events = [events.start(0.0, "test")]
    all_events += [events.text(i * 0.001, c) for i, c in enumerate(chunks)]
    all_events.append(events.end(1.0, "stop"))
    return [all_events[i : i + group] for i in range(0, len(all_events), group)]


def run_into_pipe(make_sink, batches) -> bytes:
    """Run the pipeline into a real pipe drained by a reader thread."""
    read_fd, write_fd = os.pipe()
    received = bytearray()

    def drain():
        with os.fdopen(read_fd, "rb") as reader:
            while chunk := reader.read(65536):
                received.extend(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    with os.fdopen(write_fd, "wb") as writer:
        status = Pipeline(ListSource(batches), make_sink(writer), stderr=io.StringIO()).run()
    reader.join()
    assert status == 0
    return bytes(received)
