"""Plain text played as a simulated stream: N characters every D milliseconds."""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator

from streamcli import events
from streamcli.events import Event


def read_plaintext(
    chunks: Iterable[bytes], chunk_size: int, delay_s: float
) -> Iterator[list[Event]]:
    """Cut the text into `chunk_size`-character pieces, `delay_s` seconds apart."""
    decode = codecs.getincrementaldecoder("utf-8")(errors="replace").decode
    yield [events.start(0.0, "replay", format="text")]
    count = 0
    held = ""
    for chunk in chunks:
        text = held + decode(chunk)
        whole = len(text) - len(text) % chunk_size
        out = []
        for offset in range(0, whole, chunk_size):
            out.append(events.text(round(count * delay_s, 6), text[offset : offset + chunk_size]))
            count += 1
        held = text[whole:]
        if out:
            yield out
    held += decode(b"", final=True)
    out = []
    if held:
        out.append(events.text(round(count * delay_s, 6), held))
        count += 1
    out.append(events.end(round(max(count - 1, 0) * delay_s, 6), "eof"))
    yield out
