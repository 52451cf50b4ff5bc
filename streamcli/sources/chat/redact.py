"""Keeping API keys out of everything streamcli prints, records or raises.

A `Redactor` masks every known key, and anything that looks like a key or a credential by
pattern (``sk-…``, ``sk-ant-…``, ``AIza…``, GitHub tokens, ``Bearer …``, ``?key=…``), so
a key echoed by a server or hidden in a URL never reaches a message.

A known key is masked not only whole but *altered*: any run of `RUN` or more of its
characters, in any case, forwards or reversed (the whole key when it is shorter). Text
that arrives in pieces goes through a `StreamMasker`, which holds back only the end of a
piece that could still grow into such a run, so a key split across chunks is masked as
if it had come in one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from streamcli.events import Event

MASK = "[redacted]"
RUN = 12  # this many characters of a key in a row are masked

_PATTERNS = re.compile(
    r"sk-(?:ant-|proj-)?[A-Za-z0-9_\-]{12,}"
    r"|AIza[0-9A-Za-z_\-]{30,}"
    r"|gh[pousr]_[A-Za-z0-9]{20,}"
    r"|xox[abpr]-[A-Za-z0-9\-]{10,}"
)
# A credential after a word that announces it: the word stays, the value goes.
_ANNOUNCED = re.compile(
    r"(\b[Bb]earer\s+|[?&](?:key|api_key|apikey|token|access_token)=)([^\s&\"']{8,})"
)
# Where the text a tool printed is, by event type.
_TOOL_TEXT = {"tool_end": "output", "tool_progress": "message"}
# Lower-casing that keeps every position where it was (ASCII only: keys are ASCII).
_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


class _Runs:
    """Finds the runs of known keys' characters (any case, either direction) in a text."""

    def __init__(self, secrets: list[str]) -> None:
        forms = [(s.translate(_FOLD), min(RUN, len(s))) for s in secrets]
        self.forms = forms + [(folded[::-1], least) for folded, least in forms]
        self._chars = frozenset("".join(folded for folded, _ in forms))

    def longest(self, folded: str, at: int) -> tuple[int, int]:
        """From `at`: the longest run of any key's characters, and the longest to mask."""
        if folded[at] not in self._chars:
            return 0, 0
        longest = masked = 0
        for form, least in self.forms:
            n = 1
            while at + n < len(folded) and folded[at : at + n + 1] in form:
                n += 1
            longest = max(longest, n)
            if n >= least:
                masked = max(masked, n)
        return longest, masked

    def mask(self, text: str, final: bool = True) -> tuple[str, str]:
        """`text` with every run masked, and (unless `final`) the end that could still
        grow into a run held back and returned second."""
        folded = text.translate(_FOLD)
        out: list[str] = []
        plain = at = 0  # `plain`: where the text not yet copied to `out` starts
        while at < len(text):
            longest, masked = self.longest(folded, at)
            if not final and at + longest == len(text):
                break  # the run reaches the end: the next piece may extend it
            if masked:
                out += (text[plain:at], MASK)
                at += masked
                plain = at
            else:
                at += 1
        out.append(text[plain:at])
        return "".join(out), text[at:]


class Redactor:
    """Masks the given secrets (altered too) and key-shaped strings (patterns)."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        # Longest first, so a key that contains another is masked whole.
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)
        self._runs = _Runs(self.secrets) if self.secrets else None

    def __call__(self, text: str) -> str:
        return _ANNOUNCED.sub(r"\1" + MASK, _PATTERNS.sub(MASK, self.exact(text)))

    def exact(self, text: str) -> str:
        """Mask only the known secrets (for model output, where patterns could misfire)."""
        if self._runs is None:
            return text
        return self._runs.mask(text)[0]

    def exact_within(self, value: Any) -> Any:
        """`exact` applied to every string in a JSON-like value (keys and values)."""
        if isinstance(value, str):
            return self.exact(value)
        if isinstance(value, dict):
            return {self.exact(k): self.exact_within(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.exact_within(item) for item in value]
        return value

    def tool_texts(self, events: list[Event]) -> None:
        """Mask the known secrets in what tools printed (output, progress messages)."""
        if self._runs is None:
            return
        for event in events:
            field = _TOOL_TEXT.get(event["type"])
            if field is not None:
                event[field] = self.exact(event[field])

    def stream(self) -> StreamMasker:
        """A masker for text that arrives in pieces."""
        return StreamMasker(self._runs)


class StreamMasker:
    """`Redactor.exact` for a stream of pieces: ``feed`` each, ``flush`` at the end.

    The output is the same however the text was cut into pieces.
    """

    def __init__(self, runs: _Runs | None) -> None:
        self._runs = runs
        self._held = ""

    def feed(self, piece: str) -> str:
        if self._runs is None:
            return piece
        shown, self._held = self._runs.mask(self._held + piece, final=False)
        return shown

    def flush(self) -> str:
        """What is still held, masked as the end of the text."""
        if self._runs is None or not self._held:
            return ""
        held, self._held = self._held, ""
        return self._runs.mask(held)[0]


def fingerprint(key: str) -> str:
    """A way to tell keys apart without showing them: the last four characters."""
    return f"…{key[-4:]}" if len(key) >= 12 else "(short key)"


class EventMasker:
    """The keys masked in the text and reasoning of a stream of events, across events.

    What a masker holds back (it could be the start of a key) goes out before the next
    event of another kind, or with the `last` events; answer and reasoning are two texts,
    each going on while the other is held.
    """

    def __init__(self, redactor: Redactor, clock: Callable[[], float]) -> None:
        self._maskers = {kind: redactor.stream() for kind in ("text", "reasoning")}
        self._clock = clock

    def mask(self, out: list[Event], last: bool) -> list[Event]:
        kept: list[Event] = []
        for event in out:
            kind = event["type"]
            _join(kept, self.held(but=kind))
            masker = self._maskers.get(kind)
            if masker is not None:
                event["text"] = masker.feed(event["text"])
                if not event["text"]:
                    continue  # all of it held back
            kept.append(event)
        if last:
            _join(kept, self.held())
        return kept

    def held(self, but: str | None = None) -> list[Event]:
        """What is held back (except for the kind `but`), as events of now."""
        held: list[Event] = []
        for kind, masker in self._maskers.items():
            rest = masker.flush() if kind != but else ""
            if rest:
                held.append({"type": kind, "t": self._clock(), "text": rest})
        return held


def _join(events: list[Event], held: list[Event]) -> None:
    """Append the `held` text events, each onto the event before it when of its type."""
    for event in held:
        if events and events[-1]["type"] == event["type"]:
            events[-1]["text"] += event["text"]
        else:
            events.append(event)


SECRET_SUFFIXES = ("_API_KEY", "_TOKEN", "_SECRET")


def known_secrets(environ: Mapping[str, str], key: str | None = None) -> list[str]:
    """Every key streamcli knows of: `key` (the one in use) and the values of the
    environment's OPENAI_API_KEY, ANTHROPIC_API_KEY, STREAMCLI_API_KEY and of any
    variable named *_API_KEY, *_TOKEN or *_SECRET (8 characters or more)."""
    found = [key] if key else []
    for name, value in environ.items():
        if name.upper().endswith(SECRET_SUFFIXES) and len(value) >= 8:
            found.append(value)
    return found
