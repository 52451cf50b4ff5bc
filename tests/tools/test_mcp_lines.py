"""Splitting what a stdio MCP server sends into message lines (`tools.mcp.stdio.Lines`)."""

from __future__ import annotations

import pytest

from streamcli.tools.mcp.stdio import Lines, LineTooLong


def test_lines_come_whole_however_the_bytes_are_cut():
    data = b"".join(b'{"n": %d}\n' % i for i in range(1000)) + b"x" * 5000 + b"\n" + b"tail"
    for piece in (1, 7, 4096, len(data)):
        lines = Lines(limit=10_000)
        got = [
            bytes(line)
            for s in range(0, len(data), piece)
            for line in lines.feed(data[s : s + piece])
        ]
        assert got == data.split(b"\n")[:-1]


def test_a_line_past_the_limit_is_refused_having_held_at_most_the_limit_and_one_read():
    lines = Lines(limit=1000)
    assert lines.feed(b"ok\n" + b"y" * 900) == [b"ok"]
    with pytest.raises(LineTooLong):
        lines.feed(b"y" * 200)
    assert lines.feed(b"next\n") == [b"next"]  # what was held of it is dropped


def test_a_line_just_within_the_limit_is_kept():
    lines = Lines(limit=1000)
    assert lines.feed(b"z" * 1000) == []
    assert lines.feed(b"\n") == [b"z" * 1000]
