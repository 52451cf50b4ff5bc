"""The built-in tools on real files: what they read and where they stop (`tools.builtin`)."""

from __future__ import annotations

import os

import pytest

from streamcli.tools import builtin
from streamcli.tools.spec import ToolFailure


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    root = tmp_path / "work"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "a.txt").write_text("hello\nworld\n")
    (root / "bin.dat").write_bytes(b"\x00\x01\x02")
    (tmp_path / "secret.txt").write_text("top secret")
    (tmp_path / "work-other").mkdir()
    (tmp_path / "work-other" / "x.txt").write_text("neighbour")
    (root / "escape").symlink_to(tmp_path / "secret.txt")
    (root / "inside").symlink_to(root / "docs" / "a.txt")
    monkeypatch.chdir(root)
    return root


def test_read_file_reads_inside_the_current_directory(workdir):
    assert builtin.read_file({"path": "docs/a.txt"}) == "hello\nworld\n"
    assert builtin.read_file({"path": "inside"}) == "hello\nworld\n"  # a symlink that stays
    assert builtin.read_file({"path": str(workdir / "docs" / "a.txt")}) == "hello\nworld\n"


@pytest.mark.parametrize(
    "path",
    ["../secret.txt", "escape", "/etc/passwd", "docs/../../secret.txt", "../work-other/x.txt"],
)
def test_read_file_refuses_paths_that_resolve_outside(workdir, path):
    with pytest.raises(ToolFailure, match="outside the current directory"):
        builtin.read_file({"path": path})


def test_read_file_refuses_directories_binaries_fifos_and_missing_files(workdir):
    with pytest.raises(ToolFailure, match="directory"):
        builtin.read_file({"path": "docs"})
    with pytest.raises(ToolFailure, match="not a text file"):
        builtin.read_file({"path": "bin.dat"})
    os.mkfifo(workdir / "pipe")
    with pytest.raises(ToolFailure, match="not a regular file"):  # and never blocks
        builtin.read_file({"path": "pipe"})
    with pytest.raises(ToolFailure, match="cannot read"):
        builtin.read_file({"path": "nope.txt"})
    with pytest.raises(ToolFailure, match="bad path"):
        builtin.read_file({"path": "a\0b"})


def test_read_file_of_a_large_file_keeps_head_and_tail(workdir):
    big = workdir / "big.log"
    big.write_bytes(b"".join(b"line %06d\n" % i for i in range(50_000)))
    text = builtin.read_file({"path": "big.log"})
    assert text.startswith("line 000000\n") and text.rstrip().endswith("line 049999")
    assert "bytes omitted]" in text and len(text) < 70_000


def test_list_dir_marks_directories_and_links_and_stays_inside(workdir):
    listing = builtin.list_dir({}).splitlines()
    assert "docs/" in listing and "bin.dat" in listing
    assert any(line.startswith("escape -> ") for line in listing)
    assert builtin.list_dir({"path": "docs"}) == "a.txt"
    with pytest.raises(ToolFailure, match="outside"):
        builtin.list_dir({"path": ".."})


def test_time_in_a_zone_and_an_unknown_zone():
    out = builtin.current_time({"timezone": "Asia/Tokyo"})
    assert "+09:00" in out and "Asia/Tokyo" in out
    assert "local time" in builtin.current_time({})
    with pytest.raises(ToolFailure, match="unknown time zone"):
        builtin.current_time({"timezone": "Mars/Olympus"})
