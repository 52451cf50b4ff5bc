"""Keeping API keys out of everything streamcli prints, records or raises.

A `Redactor` masks every key streamcli knows of (`known_secrets`), and anything that looks
like a key or a credential by pattern (``sk-…``, ``sk-ant-…``, ``AIza…``, GitHub tokens,
``Bearer …``, ``?key=…``), so a key echoed by a server or hidden in a URL never reaches a
message.

A known key is masked not only whole but *altered*: any run of `RUN` or more of its
characters, in any case, forwards or reversed (the whole key when it is shorter), with
invisible characters (`INVISIBLE`: zero-width, format characters) between them or not.
Text that arrives in pieces goes through a `StreamMasker`; a chat's answer goes through
an `EventMasker`, which reads its text and reasoning in order as one text, as the reader
does. Both hold back only the end of a piece that could still grow into such a run, so a
key split across chunks, event kinds or invisible characters is masked as if it had come
in one.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from itertools import pairwise
from typing import Any

from streamcli.events import Event
from streamcli.keys import configured_keys

MASK = "[redacted]"
RUN = 12  # this many characters of a key in a row are masked
# At a break in an answer's text (a tool call), a held end this long that could be the
# start of a key is masked: the text after the break could complete it.
AT_A_BREAK = 4

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
# Characters a reader does not see: every format character (Unicode category Cf), the
# unassigned ones among them, variation selectors, fillers and other blanks of no width.
INVISIBLE = re.compile(
    "[\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u115f\u1160"
    "\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164"
    "\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
# Environment variables that hold secrets, and what a secret's value looks like.
SECRET_WORDS = ("KEY", "SECRET", "TOKEN", "PASSWORD", "PASSWD", "CREDENTIAL")
_SECRET_VALUE = re.compile(r"(?!~|/|[A-Za-z]+://)\S{8,4096}")
# Where the text a tool printed is, by event type.
_TOOL_TEXT = {"tool_end": "output", "tool_progress": "message"}
# Event types whose `text` the reader reads as one text.
_TEXTS = ("text", "reasoning")
# Lower-casing that keeps every position where it was (ASCII only: keys are ASCII).
_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def names_a_secret(name: str) -> bool:
    """Whether an environment variable's name suggests a secret (OPENAI_API_KEY,
    GITHUB_TOKEN, DB_PASSWORD, STREAMCLI_SERVE_KEY…): its value is masked in what
    streamcli shows and never handed to a tool."""
    return any(word in name.upper() for word in SECRET_WORDS)


def known_secrets(environ: Mapping[str, str], *keys: str | None) -> list[str]:
    """Every secret streamcli knows of: `keys` (the key in use), the values of the
    environment's variables whose names suggest a secret (`names_a_secret`: every
    provider's key among them) that look like one (8 characters or more, no space, not a
    path or URL), and the keys in the key files the config file names for any provider
    (another provider's key too: a server could echo it)."""
    found = [key for key in keys if key]
    for name, value in environ.items():
        if names_a_secret(name) and _SECRET_VALUE.fullmatch(value.strip()):
            found.append(value.strip())
    return list(dict.fromkeys(found + configured_keys(environ)))


def visible(text: str) -> tuple[str, list[int] | None]:
    """`text` without its invisible characters, and where each one left was in `text`
    (None: nothing was taken out)."""
    if INVISIBLE.search(text) is None:
        return text, None
    where = [i for i, c in enumerate(text) if INVISIBLE.fullmatch(c) is None]
    return "".join(text[i] for i in where), where


class _Runs:
    """Finds the runs of known keys' characters (any case, either direction) in a text."""

    def __init__(self, secrets: list[str]) -> None:
        forms = [(s.translate(_FOLD), min(RUN, len(s))) for s in secrets]
        self.forms = forms + [(folded[::-1], least) for folded, least in forms]
        chars = sorted(set("".join(folded for folded, _ in forms)))
        self._least = min(least for _, least in forms)
        # Only in a stretch of the keys' characters can a run be.
        self._stretch = re.compile("[" + "".join(re.escape(c) for c in chars) + "]+")

    def longest(self, folded: str, at: int, end: int) -> tuple[int, int]:
        """From `at` (before `end`): the longest run of any key's characters, and the
        longest to mask."""
        longest = masked = 0
        for form, least in self.forms:
            n = 0
            while at + n < end and folded[at : at + n + 1] in form:
                n += 1
            longest = max(longest, n)
            if n >= least:
                masked = max(masked, n)
        return longest, masked

    def spans(self, text: str, final: bool = True) -> tuple[list[tuple[int, int]], int]:
        """The spans of `text` to mask, and (unless `final`) where its end that could
        still grow into a run starts (else `len(text)`)."""
        seen, where = visible(text)
        folded = seen.translate(_FOLD)
        spans: list[tuple[int, int]] = []
        hold = len(seen)
        for stretch in self._stretch.finditer(folded):
            start, end = stretch.span()
            growing = not final and end == len(folded)
            if end - start < self._least and not growing:
                continue
            at = start
            while at < end:
                longest, masked = self.longest(folded, at, end)
                if growing and at + longest == end:
                    hold = at  # the run reaches the end: the next piece may extend it
                    break
                if masked:
                    spans.append((at, at + masked))
                    at += masked
                else:
                    at += 1
        if where is None:
            return spans, hold
        back = [(where[a], where[b - 1] + 1) for a, b in spans]
        return back, where[hold] if hold < len(where) else len(text)

    def mask(self, text: str, final: bool = True) -> tuple[str, str]:
        """`text` with every run masked, and (unless `final`) the end that could still
        grow into a run held back and returned second."""
        spans, hold = self.spans(text, final)
        out: list[str] = []
        plain = 0
        for a, b in spans:
            out += (text[plain:a], MASK)
            plain = b
        out.append(text[plain:hold])
        return "".join(out), text[hold:]


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

    def events(self, clock: Callable[[], float]) -> EventMasker:
        """A masker for an answer's events."""
        return EventMasker(self._runs, clock)


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


class EventMasker:
    """The keys masked in an answer's text and reasoning, read in order as one text.

    A key split between a `text` and a `reasoning` event is masked as if it had come in
    one. What is held back (it could be the start of a key) goes out with the next events
    that show it is not, or at the end (`last`), or at a break (`held`).
    """

    def __init__(self, runs: _Runs | None, clock: Callable[[], float]) -> None:
        self._runs = runs
        self._clock = clock
        self._held: list[tuple[str, str]] = []  # (event type, text) not yet let out

    def mask(self, out: list[Event], last: bool) -> list[Event]:
        if self._runs is None:
            return out
        kept: list[Event] = []
        for event in out:
            if event["type"] in _TEXTS:
                self._held.append((event["type"], event["text"]))
                _join(kept, self._release(event["t"], final=False))
            else:
                kept.append(event)
        if last:
            _join(kept, self._release(self._clock(), final=True))
        return kept

    def held(self, end: bool = True) -> list[Event]:
        """What is held back, let out: as the end of the text (`end`), or at a break in
        it (a tool call), where a held end of `AT_A_BREAK` characters or more is masked."""
        if self._runs is None:
            return []
        return self._release(self._clock(), final=end, at_a_break=not end)

    def _release(self, t: float, final: bool, at_a_break: bool = False) -> list[Event]:
        assert self._runs is not None
        if not self._held:
            return []
        text = "".join(piece for _, piece in self._held)
        spans, hold = self._runs.spans(text, final)
        if at_a_break and hold < len(text):
            if len(visible(text[hold:])[0]) >= AT_A_BREAK:
                spans.append((hold, len(text)))
            hold = len(text)
        if not spans and len(self._held) == 1:  # the common case: one piece, no key
            kind = self._held[0][0]
            self._held = [(kind, text[hold:])] if hold < len(text) else []
            return _joined(t, [(kind, text[:hold])])
        starts, at = [], 0
        for _, piece in self._held:
            starts.append(at)
            at += len(piece)
        kinds = [kind for kind, _ in self._held]
        released: list[tuple[str, str]] = []
        plain = 0
        for a, b in [*spans, (hold, hold)]:
            cuts = [plain, *(s for s in starts if plain < s < a), a]
            for x, y in pairwise(cuts):
                released.append((kinds[bisect_right(starts, x) - 1], text[x:y]))
            if b > a:
                released.append((kinds[bisect_right(starts, a) - 1], MASK))
            plain = b
        self._held = [
            (kind, text[max(s, hold) : s + len(piece)])
            for (kind, piece), s in zip(self._held, starts, strict=True)
            if s + len(piece) > hold
        ]
        return _joined(t, released)


def _joined(t: float, pieces: list[tuple[str, str]]) -> list[Event]:
    """The pieces as events of time `t`, each onto the one before it when of its type."""
    joined: list[Event] = []
    _join(joined, [{"type": kind, "t": t, "text": piece} for kind, piece in pieces if piece])
    return joined


def _join(events: list[Event], more: list[Event]) -> None:
    """Append the text events `more`, each onto the event before it when of its type."""
    for event in more:
        if events and events[-1]["type"] == event["type"]:
            events[-1]["text"] += event["text"]
        else:
            events.append(event)


def fingerprint(key: str) -> str:
    """A way to tell keys apart without showing them: the last four characters."""
    return f"…{key[-4:]}" if len(key) >= 12 else "(short key)"
