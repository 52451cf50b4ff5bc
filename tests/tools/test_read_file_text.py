"""read_file returns UTF-8 text only: random bytes without a NUL, Latin-1 and the like are
refused; UTF-8 cut inside a character by the size limit is still text."""

from __future__ import annotations

import os
import random
import tempfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streamcli.tools import builtin
from streamcli.tools.output import DEFAULT_LIMIT
from streamcli.tools.spec import ToolFailure


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_random_bytes_without_a_nul_are_not_text(here):
    data = bytes(b or 1 for b in random.Random(12).randbytes(100))
    assert b"\0" not in data
    (here / "noise.bin").write_bytes(data)
    with pytest.raises(ToolFailure, match="not a text file"):
        builtin.read_file({"path": "noise.bin"})


def test_latin1_text_is_not_utf8(here):
    (here / "old.txt").write_bytes("café crème\n".encode("latin-1"))
    with pytest.raises(ToolFailure, match="not UTF-8"):
        builtin.read_file({"path": "old.txt"})


@pytest.mark.parametrize("chars", [DEFAULT_LIMIT // 10 - 1, 9_001, 9_002, 9_003, 30_000])
def test_utf8_cut_inside_a_character_at_the_limit_is_still_text(here, chars):
    # 10 bytes every 4 characters: the limits cut inside characters, at a different
    # byte of one for each size.
    (here / "wide.txt").write_text(("é日🦀x" * chars)[:chars], encoding="utf-8")
    out = builtin.read_file({"path": "wide.txt"})
    assert "\ufffd" not in out and out[:4] == "é日🦀x"


@settings(deadline=None, max_examples=200)
@given(st.binary(min_size=1, max_size=300))
def test_bytes_that_are_not_utf8_are_always_refused(data):
    try:
        expected: str | None = data.decode("utf-8")
    except UnicodeDecodeError:
        expected = None
    if expected is not None and "\0" in expected:
        expected = None
    before = os.getcwd()
    with tempfile.TemporaryDirectory() as directory:
        os.chdir(directory)
        try:
            with open("f", "wb") as file:
                file.write(data)
            try:
                got: str | None = builtin.read_file({"path": "f"})
            except ToolFailure:
                got = None
        finally:
            os.chdir(before)
    assert got == expected
