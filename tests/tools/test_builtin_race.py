"""read_file and list_dir against a real race: another process keeps swapping a directory
inside the current one for a symlink to a directory outside it. Not one read escapes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from streamcli.tools import beneath, builtin
from streamcli.tools.spec import ToolFailure

SWAPPER = textwrap.dedent(
    """
    import os, sys
    os.chdir(sys.argv[1])
    print("ready", flush=True)
    while True:
        os.rename("sub", "real")
        os.rename("link", "sub")
        os.rename("sub", "link")
        os.rename("real", "sub")
    """
)
CALLS = 3000


@pytest.fixture(params=["openat2", "walk"])
def swapped(request, tmp_path, monkeypatch):
    if request.param == "walk":  # as on a kernel without openat2, or on macOS
        monkeypatch.setattr(beneath, "_openat2_missing", True)
    else:
        assert beneath._syscall() is not None
    work, outside = tmp_path / "work", tmp_path / "outside"
    (work / "sub").mkdir(parents=True)
    outside.mkdir()
    (work / "sub" / "passwd").write_text("harmless\n")
    (outside / "passwd").write_text("SECRET outside\n")
    (outside / "only-outside").write_text("x")
    os.symlink(outside, work / "link")
    monkeypatch.chdir(work)
    swapper = subprocess.Popen(
        [sys.executable, "-c", SWAPPER, str(work)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert swapper.stdout is not None and swapper.stdout.readline() == "ready\n"
        yield
    finally:
        swapper.kill()
        swapper.wait()


def attempts(call, arguments):
    results = []
    for _ in range(CALLS):
        try:
            results.append(call(arguments))
        except ToolFailure as exc:
            results.append(f"failure: {exc}")
    return results


def test_read_file_never_reads_outside_while_a_directory_is_swapped(swapped):
    results = attempts(builtin.read_file, {"path": "sub/passwd"})
    assert [r for r in results if "SECRET" in r] == []
    assert "harmless\n" in results  # the race was run: some reads did happen


def test_list_dir_never_lists_outside_while_a_directory_is_swapped(swapped):
    results = attempts(builtin.list_dir, {"path": "sub"})
    assert [r for r in results if "only-outside" in r] == []
    assert "passwd" in results


def test_the_walk_refuses_symlinks_and_climbing_out(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f").write_text("ok")
    os.symlink(tmp_path / "d", tmp_path / "l")
    root = os.open(tmp_path, os.O_RDONLY)
    try:
        fd = beneath._walk(root, "d/../d/f", os.O_RDONLY)
        assert os.read(fd, 10) == b"ok"
        os.close(fd)
        for path in ("l/f", "l", "../x", "d/../../x"):
            with pytest.raises(beneath.Escape):
                beneath._walk(root, path, os.O_RDONLY)
            with pytest.raises(beneath.Escape):
                beneath.open_beneath(root, path, os.O_RDONLY)
    finally:
        os.close(root)
