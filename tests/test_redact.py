"""Masking keys: whole, altered (any case, reversed, a long enough piece), and across the
pieces a stream arrives in."""

from __future__ import annotations

import itertools
import sys
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from streamcli.redact import INVISIBLE, MASK, RUN, EventMasker, Redactor, known_secrets
from streamcli.tools.process import scrubbed

KEY = "sk-proj-AbCdEf1234567890XyZw"


def pieces(text: str, cuts: list[int]) -> list[str]:
    points = sorted({c % (len(text) + 1) for c in cuts})
    return [text[a:b] for a, b in zip([0, *points], [*points, len(text)], strict=True)]


def streamed(redactor: Redactor, parts: list[str]) -> str:
    masker = redactor.stream()
    return "".join(masker.feed(part) for part in parts) + masker.flush()


def leaked_run(text: str, key: str = KEY) -> str | None:
    """A run of RUN characters of `key` (any case, either direction) left in `text`."""
    folded = text.lower()
    for form in (key.lower(), key.lower()[::-1]):
        for i in range(len(form) - RUN + 1):
            if form[i : i + RUN] in folded:
                return form[i : i + RUN]
    return None


def test_the_key_whole_altered_or_in_part_is_masked():
    redact = Redactor([KEY])
    for shown in (KEY, KEY.upper(), KEY.lower(), KEY[::-1], KEY[::-1].upper(), "…" + KEY[-20:]):
        assert MASK in redact(f"key: {shown}!")
        assert leaked_run(redact(f"key: {shown}!")) is None
        assert leaked_run(redact.exact(f"{shown}")) is None
    assert redact.exact("Hello world, 123 and sk-pr ok") == "Hello world, 123 and sk-pr ok"
    assert redact.exact(KEY[: RUN - 1]) == KEY[: RUN - 1]  # too short a piece to be the key


def test_a_key_split_across_chunks_is_masked_and_ordinary_text_is_barely_held():
    redact = Redactor([KEY])
    masker = redact.stream()
    assert masker.feed("your key: sk-pr") == "your key: "
    assert masker.feed("oj-AbCdEf1234567890XyZw, done.") == f"{MASK}, done."
    # Ordinary text comes out at once, but for an end that could begin a piece of the key.
    assert masker.feed("Hello there. ") == "Hello there. "
    assert masker.feed("fine") == "fin"
    assert masker.flush() == "e"


_ALPHABET = st.sampled_from(list(KEY + KEY.upper() + " .\n-é…"))


@settings(deadline=None)
@given(
    filler=st.lists(st.text(_ALPHABET, max_size=12), min_size=1, max_size=4),
    forms=st.lists(
        st.sampled_from([KEY, KEY.upper(), KEY[::-1], KEY[5:25], KEY.lower()[3:]]), max_size=3
    ),
    cuts=st.lists(st.integers(0, 200), max_size=12),
)
def test_however_the_text_is_cut_the_masked_stream_is_the_same_and_leaks_nothing(
    filler, forms, cuts
):
    text = "".join(a + b for a, b in zip(filler, [*forms, ""], strict=False))
    for form in forms[len(filler) :]:
        text += form
    redact = Redactor([KEY])
    whole = redact.exact(text)
    assert streamed(redact, pieces(text, cuts)) == whole
    assert leaked_run(whole) is None


@settings(deadline=None)
@given(st.text(max_size=60), st.lists(st.integers(0, 80), max_size=8))
def test_text_without_the_key_passes_unchanged_in_any_pieces(text, cuts):
    redact = Redactor([KEY])
    if leaked_run(text) is None and MASK not in text:
        assert streamed(redact, pieces(text, cuts)) == text


def test_a_short_key_is_masked_only_whole():
    redact = Redactor(["abcd1234"])
    assert redact.exact("x abcd1234 ABCD1234 4321dcba abcd123 y") == (
        f"x {MASK} {MASK} {MASK} abcd123 y"
    )


def test_keys_inside_tool_arguments_are_masked():
    redact = Redactor([KEY])
    assert redact.exact_within({"q": [f"use {KEY.upper()}"], KEY: 1}) == {
        "q": [f"use {MASK}"],
        MASK: 1,
    }


# -- an answer's events: text and reasoning read as one text (issue 26, item 5) -----------

_INVISIBLES = ["\u200b", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u202e", "\U000e0041"]


def test_every_format_character_counts_as_invisible():
    missed = [
        f"U+{c:04X}"
        for c in range(sys.maxunicode + 1)
        if unicodedata.category(chr(c)) == "Cf" and not INVISIBLE.fullmatch(chr(c))
    ]
    assert missed == []


def answer(masker: EventMasker, parts: list[tuple[str, str]], *, break_after: int = -1):
    """The events `masker` lets out for `parts` (type, text), fed one at a time."""
    out: list[dict] = []
    for n, (kind, text) in enumerate(parts):
        out += masker.mask([{"type": kind, "t": float(n), "text": text}], last=False)
        if n == break_after:
            out += masker.held(end=False)
    return out + masker.held()


@settings(deadline=None)
@given(
    before=st.text(st.sampled_from(list(" .,!?wWvV\n")), max_size=8),
    after=st.text(st.sampled_from(list(" .,!?wWvV\n")), max_size=8),
    marks=st.lists(st.tuples(st.integers(1, len(KEY) - 1), st.sampled_from(_INVISIBLES))),
    cuts=st.lists(st.integers(1, len(KEY) + 40), max_size=8),
    kinds=st.lists(st.sampled_from(["text", "reasoning"]), min_size=10, max_size=10),
)
def test_a_key_cut_across_kinds_and_invisible_characters_is_masked_whole(
    before, after, marks, cuts, kinds
):
    key = list(KEY)
    for at, mark in marks:
        key[at] = mark + key[at]
    text = before + "".join(key) + after
    parts = [(kinds[n % 10], piece) for n, piece in enumerate(pieces(text, cuts)) if piece]
    out = answer(Redactor([KEY]).events(lambda: 99.0), parts)
    read = "".join(e["text"] for e in out)
    assert "".join(c for c in read if c not in _INVISIBLES) == before + MASK + after
    assert all(a["t"] <= b["t"] for a, b in itertools.pairwise(out))


def test_ordinary_text_and_reasoning_come_out_at_once_in_their_kinds():
    masker = Redactor([KEY]).events(lambda: 9.0)
    first = masker.mask([{"type": "reasoning", "t": 1.0, "text": "Let me think. "}], False)
    assert first == [{"type": "reasoning", "t": 1.0, "text": "Let me think. "}]
    said = masker.mask([{"type": "text", "t": 2.0, "text": "Your key is sk-pr"}], False)
    assert said == [{"type": "text", "t": 2.0, "text": "Your key is "}]
    rest = masker.mask([{"type": "reasoning", "t": 3.0, "text": KEY[5:] + " hm"}], True)
    assert rest == [{"type": "text", "t": 3.0, "text": MASK}, {"type": "reasoning", "t": 3.0,
                                                              "text": " hm"}]  # fmt: skip


def test_at_a_break_a_held_start_of_the_key_is_masked_and_a_short_end_let_out():
    masker = Redactor([KEY]).events(lambda: 9.0)
    assert answer(masker, [("text", "Your key is " + KEY[:11])], break_after=0) == [
        {"type": "text", "t": 0.0, "text": "Your key is "},
        {"type": "text", "t": 9.0, "text": MASK},
    ]
    masker = Redactor([KEY]).events(lambda: 9.0)
    said = answer(masker, [("text", "Let me look at sk-")], break_after=0)
    assert "".join(e["text"] for e in said) == "Let me look at sk-"


def test_the_secrets_masked_are_the_variables_a_tool_is_not_given():
    environ = {
        "OPENAI_API_KEY": "sk-0123456789",
        "STREAMCLI_SERVE_KEY": "serve-key-0123456789",
        "GH_CREDENTIALS": "ghp_abcdefghijk",
        "MY_DB_PASSWD": "hunter2hunter2",
        "HOME": "/home/someone",
        "SSH_AUTH_SOCK": "/tmp/ssh-agent.sock",
        "SHORT_TOKEN": "abc",  # too short to mask without masking words
        "PATH_KEY": "/usr/share/keys",  # a path, not a secret's value
        "LANG": "C.UTF-8",
    }
    known = known_secrets(environ, "in-use-key-0123")
    assert known == [
        "in-use-key-0123", "sk-0123456789", "serve-key-0123456789", "ghp_abcdefghijk",
        "hunter2hunter2",
    ]  # fmt: skip
    assert sorted(scrubbed(environ)) == ["HOME", "LANG", "SSH_AUTH_SOCK"]
