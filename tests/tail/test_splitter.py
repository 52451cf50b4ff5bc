"""The byte-level rules of `tail`: splitting, decoding, partial and over-long lines, and
where reading starts (`-n`)."""

from __future__ import annotations

import os

from hypothesis import given
from hypothesis import strategies as st

from streamcli.sources.tail.position import StartAt, last_lines_offset, skip_lines_offset
from streamcli.sources.tail.splitter import TailSplitter


def feed_all(splitter: TailSplitter, chunks: list[bytes], final: bool = True) -> list[tuple]:
    """Every line from `chunks` as (text, extra fields)."""
    out = []
    for chunk in chunks:
        out += splitter.feed(chunk).lines
    if final:
        out += splitter.flush().lines
    return [(str(line), getattr(line, "extra", {})) for line in out]


def expected_lines(data: bytes, cap: int) -> list[tuple]:
    """The rules, written the slow and obvious way."""
    out = []
    parts = data.split(b"\n")
    last = parts.pop()
    for index, raw in enumerate([*parts, last] if last else parts):
        extra: dict = {}
        partial = index == len(parts)
        if partial:
            extra["partial"] = True
        if len(raw) > cap:
            keep = cap
            while keep > cap - 3 and raw[keep] & 0xC0 == 0x80:
                keep -= 1
            extra.update(cut=True, cut_bytes=len(raw) - keep)
            raw = raw[:keep]
        elif raw.endswith(b"\r"):
            raw = raw[:-1]
        try:
            text = raw.decode()
        except UnicodeDecodeError:
            text = raw.decode("utf-8", "replace")
            extra["invalid_utf8"] = True
        out.append((text, extra))
    return out


byte_soup = st.lists(
    st.sampled_from([b"a", b"bc", b"\n", b"\r", b"\r\n", b"\xff", b"\xc3\xa9", b"\xe2\x82", b"{"]),
    max_size=60,
).map(b"".join)


@given(data=byte_soup, cuts=st.lists(st.integers(0, 200), max_size=8), cap=st.integers(4, 12))
def test_any_chunking_gives_the_same_lines(data, cuts, cap):
    points = sorted({min(c, len(data)) for c in cuts})
    chunks = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    assert feed_all(TailSplitter(cap), chunks) == expected_lines(data, cap)


@given(data=st.binary(max_size=300), size=st.integers(1, 17))
def test_any_bytes_any_read_size(data, size):
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    assert feed_all(TailSplitter(16), chunks) == expected_lines(data, 16)


def test_the_common_case_is_plain_strings():
    split = TailSplitter().feed(b"one\ntwo\r\nthree\npart")
    assert split.lines == ["one", "two", "three"]
    assert all(type(line) is str for line in split.lines)
    assert not split.flagged


def test_partial_then_continued():
    splitter = TailSplitter()
    assert splitter.feed(b"abc").lines == []
    assert splitter.holding
    shown = splitter.flush(final=False).lines
    assert [(str(s), s.extra) for s in shown] == [("abc", {"partial": True})]
    rest = splitter.feed(b"def\nnext\n").lines
    assert [(str(s), getattr(s, "extra", {})) for s in rest] == [
        ("def", {"continued": True}),
        ("next", {}),
    ]


def test_only_the_newline_after_a_partial_line_adds_nothing():
    splitter = TailSplitter()
    splitter.feed(b"abc\r")
    assert [str(s) for s in splitter.flush(final=False).lines] == ["abc"]
    assert splitter.feed(b"\nnext\n").lines == ["next"]


def test_an_over_long_line_is_not_buffered():
    splitter = TailSplitter(max_bytes=10)
    for _ in range(1000):
        assert splitter.feed(b"x" * 1000).lines == []
        assert len(splitter._held) <= 10
    (line, after) = splitter.feed(b"\nafter\n").lines
    assert (str(line), line.extra) == ("x" * 10, {"cut": True, "cut_bytes": 1_000_000 - 10})
    assert after == "after"


# -- where reading starts --------------------------------------------------------------


def _offsets(tmp_path, data: bytes, count: int) -> tuple[int, int]:
    path = tmp_path / "f"
    path.write_bytes(data)
    fd = os.open(path, os.O_RDONLY)
    try:
        return last_lines_offset(fd, len(data), count), skip_lines_offset(fd, count)
    finally:
        os.close(fd)


@given(
    lines=st.lists(st.sampled_from([b"", b"a", b"bb" * 40_000]), max_size=6),
    final=st.booleans(),
    count=st.integers(0, 8),
)
def test_offsets_agree_with_line_starts(tmp_path_factory, lines, final, count):
    data = b"\n".join(lines) + (b"\n" if final and lines else b"")
    starts = [0] if data else []  # where each line begins
    starts += [i + 1 for i, byte in enumerate(data[:-1]) if byte == 0x0A]
    last, skip = _offsets(tmp_path_factory.mktemp("o"), data, count)
    assert last == (
        len(data) if count == 0 else starts[max(len(starts) - count, 0)] if starts else 0
    )
    assert skip == (starts[count] if count < len(starts) else len(data))


def test_start_at_parses_like_tail():
    assert StartAt.parse("10") == StartAt(10, False)
    assert StartAt.parse("-3") == StartAt(3, False)
    assert StartAt.parse("+1") == StartAt(1, True)
    assert StartAt.parse("+0").lines_to_skip == 0
    assert StartAt.parse("+5").lines_to_skip == 4
