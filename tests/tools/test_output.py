"""Capping a tool's output: head and tail kept, the middle counted (`tools.output`)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from streamcli.tools.output import HeadTail, cap


def test_head_and_tail_are_kept_and_the_middle_counted():
    buffer = HeadTail(100)
    data = b"".join(b"%05d\n" % i for i in range(10_000))  # 60,000 bytes
    for start in range(0, len(data), 997):
        buffer.write(data[start : start + 997])
    text = buffer.text()
    assert text.startswith("00000\n") and text.endswith("09999\n")
    assert f"[{len(data) - 100:,} bytes omitted]" in text
    assert len(text.encode()) < 100 + 40


def test_small_output_is_untouched():
    assert cap("short") == "short"
    buffer = HeadTail(10)
    buffer.write(b"0123456789")
    assert buffer.text() == "0123456789" and buffer.omitted == 0


@given(st.text(min_size=0, max_size=400), st.integers(min_value=4, max_value=64))
def test_capped_text_never_splits_a_character(text, limit):
    out = cap(text, limit)
    assert "\ufffd" not in out or "\ufffd" in text
    if len(text.encode()) <= limit:
        assert out == text


@given(st.text(min_size=0, max_size=400), st.integers(min_value=2, max_value=64))
def test_cap_is_the_head_and_tail_of_the_whole_text(text, limit):
    """`cap` encodes only the ends of a text; what it gives is what writing it all gives."""
    buffer = HeadTail(limit)
    buffer.write(text.encode("utf-8", "surrogatepass"))
    assert cap(text, limit) == (text if buffer.omitted == 0 else buffer.text())
