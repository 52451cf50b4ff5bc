"""A followed file truncated and written past the read offset between two reads: what was
read from the new content is not shown as if it followed the old."""

from __future__ import annotations

import os

from streamcli.sources.tail.openfile import OpenFile


def lines_read(opened: OpenFile) -> list[str]:
    return [str(line) for split in opened.read(0.0) for line in split.lines]


def read_a_then_rewritten(tmp_path) -> OpenFile:
    """A file holding "a" read to its end, then truncated and "fresh" written, as if both
    happened between the follower's truncation check and its read."""
    log = tmp_path / "app.log"
    log.write_bytes(b"a\n")
    opened = OpenFile.open(str(log), 0.0)
    assert lines_read(opened) == ["a"]
    with open(log, "r+b", buffering=0) as writer:
        writer.truncate(0)
        writer.write(b"fresh\n")
    return opened


def test_a_rewrite_past_the_offset_is_read_from_the_top(tmp_path):
    opened = read_a_then_rewritten(tmp_path)
    assert lines_read(opened) == []  # not "esh"
    assert opened.truncated()
    opened.restart()
    assert lines_read(opened) == ["fresh"]
    opened.close()


def test_bytes_read_before_the_rewrite_are_kept(tmp_path):
    opened = read_a_then_rewritten(tmp_path)
    # "unfinis" was read at offset 2 just before the truncation: the file held it.
    assert not opened._replaced_under(2, b"unfinis")
    assert opened.rewritten and opened.truncated()
    # What the new content holds at that offset came from it: dropped.
    assert opened._replaced_under(2, b"esh\n")
    opened.close()


def test_appends_keep_the_head_and_are_not_a_rewrite(tmp_path):
    log = tmp_path / "app.log"
    log.write_bytes(b"")
    opened = OpenFile.open(str(log), 0.0)
    with open(log, "ab", buffering=0) as writer:
        for n in range(40):
            writer.write(f"line {n}\n".encode())
            assert lines_read(opened) == [f"line {n}"]
            assert not opened.truncated()
    assert os.path.getsize(log) > 64 and len(opened.head) == 64
    opened.close()
