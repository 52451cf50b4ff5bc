"""Masking keys: whole, altered (any case, reversed, a long enough piece), and across the
pieces a stream arrives in."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from streamcli.sources.chat.redact import MASK, RUN, Redactor

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
