"""`streamcli tail` on fixed content: which lines, byte rules, stdin, filters, errors.

Most cases use `--no-follow` and compare with GNU `tail` where it applies.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
from conftest import STREAMCLI, cli_env, read_jsonl, run_cli
from test_tail_follow import WAIT, Running, Tail

MiB = 1 << 20


def tail_json(*args: str, input: bytes | None = None, cwd: Path | None = None) -> list[dict]:
    result = _run(*args, "--json", input=input, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return read_jsonl(result.stdout)


def lines_of(events: list[dict]) -> list[dict]:
    return [e for e in events if e["type"] == "line"]


def texts(events: list[dict]) -> list[str]:
    return [e["text"] for e in lines_of(events)]


def _run(*args: str, input: bytes | None = None, cwd: Path | None = None):
    return subprocess.run(
        [*STREAMCLI, "tail", "--no-follow", *args],
        input=input,
        capture_output=True,
        timeout=60,
        env=cli_env(),
        cwd=cwd,
    )


# -- which lines (-n) --------------------------------------------------------------------

CONTENTS = {
    "lines": b"".join(b"line %d\n" % i for i in range(1, 26)),
    "fewer lines than asked for": b"a\nb\n",
    "no final newline": b"a\nb\nc",
    "empty": b"",
    "only newlines": b"\n\n\n",
    "long file": b"".join(b"%06d\n" % i for i in range(200_000)),
}
# Few counts per file (each is a process); the offsets are checked thoroughly in
# test_tail_splitter.py.
COUNTS = ["10", "0", "-2", "+1", "+3"]


@pytest.mark.skipif(shutil.which("tail") is None, reason="GNU tail is not installed")
@pytest.mark.parametrize("name", CONTENTS)
def test_same_lines_as_gnu_tail(tmp_path, name):
    path = tmp_path / "f.log"
    path.write_bytes(CONTENTS[name])
    for count in COUNTS:
        gnu = subprocess.run(["tail", "-n", count, str(path)], capture_output=True, check=True)
        ours = _run("-n", count, str(path))
        assert ours.returncode == 0, ours.stderr
        assert ours.stdout == _newline_terminated(gnu.stdout), f"-n {count}"


def _newline_terminated(data: bytes) -> bytes:
    """GNU tail copies a final line without newline as is; streamcli ends every line."""
    return data if not data or data.endswith(b"\n") else data + b"\n"


def test_a_last_line_without_newline_is_marked_partial(tmp_path):
    (tmp_path / "f.log").write_bytes(b"a\nb")
    events = tail_json("f.log", cwd=tmp_path)
    assert lines_of(events) == [
        {"type": "line", "t": events[1]["t"], "text": "a", "file": "f.log"},
        {"type": "line", "t": events[2]["t"], "text": "b", "file": "f.log", "partial": True},
    ]
    assert events[0]["type"] == "start" and events[0]["source"] == "tail"
    assert events[0]["files"] == ["f.log"]
    assert events[-1]["type"] == "end" and events[-1]["reason"] == "eof"


linux_proc = pytest.mark.skipif(not os.path.exists("/proc/self/mounts"), reason="no /proc")


@linux_proc
def test_proc_file_whose_size_says_zero(tmp_path):
    gnu = subprocess.run(["tail", "-n", "2", "/proc/self/mounts"], capture_output=True)
    ours = _run("-n", "2", "/proc/self/mounts")
    assert ours.returncode == 0
    assert len(ours.stdout.splitlines()) == 2 == len(gnu.stdout.splitlines())


@linux_proc
def test_proc_file_followed_is_not_truncated_over_and_over(tmp_path):
    # /proc files say their size is 0; that must not read as "truncated" on every look.
    sleeper = subprocess.Popen(["sleep", "1"])
    tail = Tail(
        "--poll",
        "--poll-interval",
        "0.01",
        "--pid",
        str(sleeper.pid),
        "-n",
        "1",
        "/proc/version",
        cwd=tmp_path,
    )
    try:
        sleeper.wait()
        assert tail.finish(sig=None) == 0
    finally:
        tail.kill()
    assert len(tail.summary()) == 1, tail.summary()


# -- bytes -------------------------------------------------------------------------------


def test_invalid_utf8_spoils_only_its_own_line(tmp_path):
    (tmp_path / "f.log").write_bytes(
        b"ok\nbad \xff\xfe byte\n\xc3\xa9t\xc3\xa9\ncut \xe2\x82\nlast\n"
    )
    events = lines_of(tail_json("-n", "+1", "f.log", cwd=tmp_path))
    assert [e["text"] for e in events] == [
        "ok",
        "bad \ufffd\ufffd byte",
        "été",
        "cut \ufffd",
        "last",
    ]
    assert [e.get("invalid_utf8", False) for e in events] == [False, True, False, True, False]


def test_crlf_and_lone_cr(tmp_path):
    (tmp_path / "f.log").write_bytes(b"one\r\ntwo\r\r\nbar\r50%\r100%\nlast\r")
    assert texts(tail_json("-n", "+1", "f.log", cwd=tmp_path)) == [
        "one",
        "two\r",
        "bar\r50%\r100%",
        "last",
    ]


def test_nul_bytes_are_kept_and_escaped_in_json(tmp_path):
    (tmp_path / "f.log").write_bytes(b"a\x00b\n\x00\x01\x02\n")
    result = _run("--json", "-n", "+1", "f.log", cwd=tmp_path)
    assert b"\x00" not in result.stdout  # JSON escapes them
    assert texts(read_jsonl(result.stdout)) == ["a\x00b", "\x00\x01\x02"]
    plain = _run("-n", "+1", "f.log", cwd=tmp_path)  # into a pipe: the bytes as they are
    assert plain.stdout == b"a\x00b\n\x00\x01\x02\n"


def test_a_10_mb_line_is_cut_and_the_next_line_is_intact(tmp_path):
    long = b"x" * (10 * MiB)
    (tmp_path / "f.log").write_bytes(b"before\n" + long + b"\nafter\n")
    events = lines_of(tail_json("-n", "+1", "f.log", cwd=tmp_path))
    assert [e["text"] for e in events][::2] == ["before", "after"]
    cut = events[1]
    assert cut["text"] == "x" * MiB
    assert cut["cut"] is True and cut["cut_bytes"] == 9 * MiB
    assert "cut" not in events[2]


def test_a_long_line_is_cut_on_a_character_boundary(tmp_path):
    (tmp_path / "f.log").write_bytes(b"a" + "é".encode() * MiB + b"\n")
    (line,) = lines_of(tail_json("f.log", cwd=tmp_path))
    assert line["text"] == "a" + "é" * (MiB // 2 - 1)
    assert "invalid_utf8" not in line


def test_a_10_mb_line_written_in_pieces_while_followed(tmp_path):
    log = tmp_path / "f.log"
    log.write_bytes(b"before\n")
    tail = Tail("f.log", cwd=tmp_path)
    try:
        tail.wait_for("before")
        with open(log, "ab") as writer:
            for _ in range(40):
                writer.write(b"y" * (256 * 1024))
                writer.flush()
            writer.write(b"\nafter\n")
        tail.wait_until(lambda: "after" in tail.summary(), "the line after")
        events = lines_of(tail.events)
        assert [len(e["text"]) for e in events] == [6, MiB, 5]
        assert events[1]["cut_bytes"] == 9 * MiB and "partial" not in events[1]
    finally:
        tail.kill()


def test_json_lines_are_written_once_as_their_text(tmp_path):
    """One representation: a JSON log line is the `line` event's text, not parsed and
    written a second time (the terminal parses it when it draws it)."""
    record = b'{"time":"2026-01-01T00:00:00Z","level":"error","msg":"boom","code":7}'
    (tmp_path / "f.log").write_bytes(record + b"\n[1, 2]\n{not json}\nplain\n")
    events = lines_of(tail_json("f.log", cwd=tmp_path))
    assert [e["text"] for e in events] == [record.decode(), "[1, 2]", "{not json}", "plain"]
    assert [sorted(e) for e in events] == [["file", "t", "text", "type"]] * 4


# -- stdin -------------------------------------------------------------------------------


def test_stdin_no_follow_last_lines():
    data = b"".join(b"%d\n" % i for i in range(100))
    events = tail_json("-n", "3", "-", input=data)
    assert texts(events) == ["97", "98", "99"]
    assert {e["file"] for e in lines_of(events)} == {"-"}


def test_stdin_from_line():
    assert texts(tail_json("-n", "+98", "-", input=b"".join(b"%d\n" % i for i in range(100)))) == [
        "97",
        "98",
        "99",
    ]


def test_stdin_followed_backlog_then_live(tmp_path):
    read_end, write_end = os.pipe()
    tail = Tail("-n", "3", "-", cwd=tmp_path, stdin=read_end)
    os.close(read_end)
    try:
        os.write(write_end, b"".join(b"old %d\n" % i for i in range(20)))
        tail.wait_for("old 17", "old 18", "old 19")
        os.write(write_end, b"new 1\n")
        tail.wait_for("old 17", "old 18", "old 19", "new 1")
        os.write(write_end, b"new 2\nunfinished")
        tail.wait_for("old 17", "old 18", "old 19", "new 1", "new 2")
        os.close(write_end)  # the end of stdin ends the tail
        assert tail.finish(sig=None) == 0
        assert tail.summary() == ["old 17", "old 18", "old 19", "new 1", "new 2", "unfinished"]
        assert tail.events[-2]["partial"] is True
        assert tail.events[-1]["reason"] == "eof"
    finally:
        tail.kill()


def test_stdin_and_a_file(tmp_path):
    (tmp_path / "f.log").write_bytes(b"from file\n")
    events = tail_json("f.log", "-", input=b"from stdin\n", cwd=tmp_path)
    assert [(e["text"], e["file"]) for e in lines_of(events)] == [
        ("from file", "f.log"),
        ("from stdin", "-"),
    ]


# -- filters -----------------------------------------------------------------------------

LOG = b"INFO start\nERROR disk full\nWARN slow\nerror lower case\nINFO done\n"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--grep", "ERROR"], ["ERROR disk full"]),
        (["-g", "ERROR", "-g", "WARN"], ["ERROR disk full", "WARN slow"]),
        (["-g", "error", "-i"], ["ERROR disk full", "error lower case"]),
        (["-g", "INFO", "--invert"], ["ERROR disk full", "WARN slow", "error lower case"]),
        (["-g", "^(INFO|WARN)", "-g", "full$", "--invert"], ["error lower case"]),
        (["-g", "nothing matches"], []),
    ],
)
def test_grep(tmp_path, args, expected):
    (tmp_path / "f.log").write_bytes(LOG)
    assert texts(tail_json(*args, "f.log", cwd=tmp_path)) == expected


MIXED = b"".join(b"ERROR %d\n" % i if i % 10 == 0 else b"info %d\n" % i for i in range(1, 101))


def test_n_counts_the_matching_lines_like_grep_then_tail(tmp_path):
    """`-n 3 --grep ERROR` is `grep ERROR | tail -n 3`: the last three matches, although
    the file's last three lines hold none."""
    (tmp_path / "f.log").write_bytes(MIXED)
    expected = ["ERROR 80", "ERROR 90", "ERROR 100"]
    assert texts(tail_json("-n", "3", "-g", "ERROR", "f.log", cwd=tmp_path)) == expected
    assert texts(tail_json("-n", "3", "-g", "ERROR", "-", input=MIXED)) == expected


def test_n_counts_the_matching_lines_when_following(tmp_path):
    (tmp_path / "f.log").write_bytes(MIXED)
    tail = Tail("-n", "2", "-g", "ERROR", "f.log", cwd=tmp_path)
    try:
        tail.wait_for("ERROR 90", "ERROR 100")
        with open(tmp_path / "f.log", "ab", buffering=0) as writer:
            writer.write(b"info 101\nERROR 102\n")
        tail.wait_for("ERROR 90", "ERROR 100", "ERROR 102")
    finally:
        tail.kill()


def test_from_line_n_still_counts_the_files_lines(tmp_path):
    (tmp_path / "f.log").write_bytes(MIXED)
    events = tail_json("-n", "+85", "-g", "ERROR", "f.log", cwd=tmp_path)
    assert texts(events) == ["ERROR 90", "ERROR 100"]


def test_grep_while_following(tmp_path):
    log = tmp_path / "f.log"
    log.write_bytes(b"")
    tail = Tail("-g", "keep", "f.log", cwd=tmp_path)
    try:
        with open(log, "ab", buffering=0) as writer:
            writer.write(b"drop 1\nkeep 1\ndrop 2\n")
            tail.wait_for("keep 1")
            writer.write(b"keep 2\n")
            tail.wait_for("keep 1", "keep 2")
    finally:
        tail.kill()


def test_a_bad_pattern_is_bad_usage(tmp_path):
    (tmp_path / "f.log").write_bytes(b"a\n")
    result = _run("-g", "x(", "f.log", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.decode().count("\n") == 1
    assert b"invalid --grep pattern" in result.stderr and b"Traceback" not in result.stderr


# -- errors and endings ------------------------------------------------------------------


def test_bad_line_count_is_a_usage_error():
    result = run_cli("tail", "-n", "ten", "f.log")
    assert result.returncode == 2
    assert b"invalid number of lines" in result.stderr and b"Traceback" not in result.stderr


def test_missing_file_without_follow(tmp_path):
    result = _run("--json", "missing.log", cwd=tmp_path)
    assert result.returncode == 2
    events = read_jsonl(result.stdout)
    assert [e["type"] for e in events] == ["start", "error", "end"]
    assert events[1]["message"] == "cannot open missing.log for reading: No such file or directory"
    plain = _run("missing.log", cwd=tmp_path)
    assert plain.returncode == 2
    assert plain.stderr == (
        b"streamcli: error: cannot open missing.log for reading: No such file or directory\n"
    )


def test_the_other_files_are_still_printed(tmp_path):
    (tmp_path / "a.log").write_bytes(b"a\n")
    (tmp_path / "b.log").write_bytes(b"b\n")
    result = _run("a.log", "missing.log", "b.log", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == b"==> a.log <==\na\n\n==> b.log <==\nb\n"
    assert result.stderr.count(b"\n") == 1 and b"missing.log" in result.stderr


def test_a_directory_is_not_a_log(tmp_path):
    result = _run(str(tmp_path))
    assert result.returncode == 2
    assert b"Is a directory" in result.stderr


def test_quiet_drops_the_headers(tmp_path):
    (tmp_path / "a.log").write_bytes(b"a\n")
    (tmp_path / "b.log").write_bytes(b"b\n")
    assert _run("-q", "a.log", "b.log", cwd=tmp_path).stdout == b"a\nb\n"


def test_head_closing_the_pipe_is_quiet(tmp_path):
    (tmp_path / "f.log").write_bytes(b"".join(b"line %d\n" % i for i in range(200_000)))
    for extra in ([], ["--json"]):
        command = " ".join([*STREAMCLI, "tail", *extra, "-n", "+1", "f.log"])
        result = subprocess.run(
            ["bash", "-c", f"set -o pipefail; {command} | head -n 2"],
            capture_output=True,
            cwd=tmp_path,
            env=cli_env(),
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert len(result.stdout.splitlines()) == 2
        assert result.stderr == b""


def test_ctrl_c_while_reading_a_big_file_exits_130(tmp_path):
    (tmp_path / "f.log").write_bytes(b"x" * 100 + b"\n")
    tail = Running([*STREAMCLI, "tail", "-n", "+1", "f.log"], cwd=tmp_path)
    try:
        tail.wait_until(lambda: tail.stdout.endswith(b"\n"), "the line")
        assert tail.finish(signal.SIGINT, WAIT) == 130
        assert tail.stdout == b"x" * 100 + b"\n"
        assert b"Traceback" not in tail.stderr
    finally:
        tail.kill()


def test_stats_counts_lines(tmp_path):
    (tmp_path / "f.log").write_bytes(b"a\nb\nc\n")
    result = _run("--stats", "f.log", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout == b"a\nb\nc\n"
    assert ", 3 lines, " in result.stderr.decode()
