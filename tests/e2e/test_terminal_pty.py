"""The real `streamcli replay` in a pseudo-terminal, read back through pyte as a person would."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_cli, write_jsonl
from ptyterm import PtyTerminal

from streamcli import events
from streamcli.sinks.spinner import FRAMES

ANSWER = Path(__file__).parent.parent / "recordings" / "answer.jsonl"

SHOW_CURSOR = b"\x1b[?25h"
HIDE_CURSOR = b"\x1b[?25l"
CURSOR_UP = re.compile(rb"\x1b\[\d*[AF]")
COLOUR = re.compile(rb"\x1b\[[0-9;]*(?:3[0-7]|38;[25];[0-9;]+|4[0-7]|48;[25];[0-9;]+|9[0-7])m")


def text_stream(
    path: Path, text: str, size: int = 3, step: float = 0.002, pause_after: str = "", **start
) -> Path:
    """A recording of `text` arriving in `size`-character chunks, `step` seconds apart
    (and a 30 s pause after the chunk that completes `pause_after`, if given)."""
    items = [events.start(0.0, "chat", **start)]
    t = 0.01
    for i in range(0, len(text), size):
        items.append(events.text(round(t, 6), text[i : i + size]))
        t += step
        if pause_after and pause_after in text[: i + size] and pause_after not in text[:i]:
            t += 30.0
    items.append(events.end(round(t, 6), "stop"))
    return write_jsonl(path, items)


def no_spinner_left(term: PtyTerminal) -> bool:
    return not set(term.text()) & set(FRAMES)


def test_a_chat_answer_is_rendered_once_with_its_tool_and_reasoning():
    with PtyTerminal(["replay", str(ANSWER), "--speed", "2"], columns=80, rows=24) as term:
        assert term.wait_exit() == 0
        lines = term.lines()
        text = "\n".join(lines)
    assert "The user asks how streaming output should look." in text  # reasoning
    assert "✓ search 300 ms" in text
    assert "Streaming, done right" in text and "# Streaming" not in text
    assert " 1. Finished blocks are printed once, into the scrollback." in text
    assert "    for chunk in chunks:" in text and "```" not in text
    assert "▌ Nothing is lost when you press Ctrl-C." in text
    assert "(https://example.com/notes)" in text
    for needle in ("How it works", "Spinners tick", "def frames", "a pipe or a file", "Ctrl-C"):
        assert sum(needle in row for row in lines) == 1, needle
    assert lines[-1] == "That is the whole answer."
    assert no_spinner_left(term) and "▋" not in text
    assert not term.cursor_hidden and term.raw.count(HIDE_CURSOR) == term.raw.count(SHOW_CURSOR)
    assert b"\x1b[?2026h" in term.raw  # frames are synchronized


def test_a_long_answer_ends_with_its_last_line_on_screen_and_nothing_twice(tmp_path):
    paragraphs = [f"Paragraph {i:03d} says something short." for i in range(150)]
    recording = text_stream(tmp_path / "long.jsonl", "\n\n".join(paragraphs), size=9)
    with PtyTerminal(["replay", str(recording), "--speed", "3"], columns=60, rows=16) as term:
        assert term.wait_exit() == 0
        display = [row for row in term.display() if row]
        lines = term.lines()
    assert display[-1] == paragraphs[-1]
    assert [row for row in lines if row] == paragraphs


@pytest.fixture
def busy_cpu():
    """Both cores kept busy while the test runs, so frames come late and the pump lags."""
    hogs = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"])
        for _ in range(os.cpu_count() or 2)
    ]
    yield
    for hog in hogs:
        hog.kill()
        hog.wait()


def test_under_a_busy_cpu_the_live_region_leaves_no_stale_rows(tmp_path, busy_cpu):
    paragraphs = [f"Line {i:02d} of an answer read under load." for i in range(40)]
    recording = text_stream(tmp_path / "load.jsonl", "\n\n".join(paragraphs), size=5)
    with PtyTerminal(["replay", str(recording), "--stats"], columns=60, rows=12) as term:
        assert term.wait_exit() == 0
        lines = term.lines()
    *answer, summary = [row for row in lines if row]
    assert answer == paragraphs and summary.startswith("streamcli: first token")
    assert "▋" not in "\n".join(lines) and no_spinner_left(term)


def test_a_code_block_taller_than_the_screen_is_printed_whole_once(tmp_path):
    code = "".join(f"value_{i:03d} = {i} * factor\n" for i in range(70))
    text = f"Here is the code:\n\n```python\n{code}```\n\nDone."
    # The stream pauses inside the fence, so the live state is looked at while it lasts.
    recording = text_stream(tmp_path / "tall.jsonl", text, size=11, pause_after="value_060")
    args = ["replay", str(recording), "--speed", "3", "--idle-limit", "6"]
    with PtyTerminal(args, columns=60, rows=20) as term:
        term.wait_for_text("value_060")
        assert sum(bool(row) for row in term.display()) < 20  # live: the bottom part only
        assert term.wait_exit() == 0
        lines = term.lines()
    for i in range(70):
        assert sum(f"value_{i:03d} =" in row for row in lines) == 1, i
    assert lines[-1] == "Done."


def test_a_running_tool_shows_a_spinner_then_its_result(tmp_path):
    recording = write_jsonl(
        tmp_path / "tool.jsonl",
        [
            events.start(0.0, "chat", model="m"),
            events.tool_start(0.05, "c1", "fetch_weather", {"city": "Oslo"}),
            events.tool_start(0.06, "c2", "search", {"q": "rain"}),
            events.tool_end(0.9, "c2", "search", False, "timeout after 0.8 s\nmore", 840.0),
            events.tool_end(1.4, "c1", "fetch_weather", True, "rain", 1350.0),
            events.text(1.5, "It will rain."),
            events.end(1.6, "stop"),
        ],
    )
    with PtyTerminal(["replay", str(recording)], columns=70, rows=12) as term:
        term.wait_for(
            lambda t: (
                any("fetch_weather" in r and r[0] in FRAMES for r in t.display())
                and any("search" in r and '{"q":"rain"}' in r for r in t.display())
            ),
            what="two spinner rows",
        )
        term.wait_for_text("✗ search 840 ms: timeout after 0.8 s")
        assert term.wait_exit() == 0
        text = "\n".join(term.lines())
    assert "✓ fetch_weather 1.4 s" in text and "more" not in text
    assert text.endswith("It will rain.") and no_spinner_left(term)


@pytest.mark.parametrize(
    ("stop", "status"),
    [(lambda term: term.interrupt(), 130), (lambda term: term.send_signal(signal.SIGTERM), 143)],
    ids=["ctrl-c", "sigterm"],
)
def test_interrupted_streams_keep_what_arrived_and_restore_the_terminal(tmp_path, stop, status):
    text = "".join(f"Sentence number {i} of a slow answer. " for i in range(400))
    recording = text_stream(tmp_path / "slow.jsonl", text, size=3, step=0.01)
    with PtyTerminal(["replay", str(recording), "--stats"], columns=80, rows=20) as term:
        term.wait_for_text("Sentence number 3 ")
        stop(term)
        assert term.wait_exit() == status
        shown = " ".join(term.lines())
    assert "Sentence number 2 of a slow answer." in shown  # what arrived stays
    assert "(interrupted)" in shown and "streamcli: first token" in shown  # then --stats
    assert not term.cursor_hidden
    assert term.raw.count(HIDE_CURSOR) == term.raw.count(SHOW_CURSOR) == 1
    assert no_spinner_left(term) and "▋" not in shown and "Traceback" not in shown


def test_escape_sequences_in_model_text_are_shown_harmlessly(tmp_path):
    hostile = (
        "Safe \x1b]0;pwned\x07 title, \x1b]52;c;Y3VybCBldmlsfHNo\x07 clipboard, "
        "\x1b[2J\x1b[H wipe, \x1b[?25l hide, \x9b31m c1, \x1bP$q m\x1b\\ query, "
        "\u202eevil\u202c bidi, [link=https://evil]markup[/link]"
    )
    recording = text_stream(tmp_path / "hostile.jsonl", hostile, size=4)
    with PtyTerminal(["replay", str(recording), "--speed", "0"], columns=100, rows=10) as term:
        assert term.wait_exit() == 0
        text = term.text()
    assert term.screen.title == ""
    assert text.startswith("Safe \\x1b]0;pwned\\x07 title")
    assert "\\x1b[2J\\x1b[H wipe" in text and "\\u202eevil\\u202c" in text
    assert "[link=https://evil]markup[/link]" in text
    assert not term.cursor_hidden
    assert b"\x1b]" not in term.raw and b"\x1bP" not in term.raw and b"\xc2\x9b" not in term.raw


def test_a_new_terminal_width_applies_from_the_next_frame(tmp_path):
    words = " ".join(f"w{i:03d}" for i in range(300))
    recording = text_stream(tmp_path / "wide.jsonl", words, size=4, step=0.004)
    with PtyTerminal(["replay", str(recording)], columns=100, rows=20) as term:
        term.wait_for_text("w010")
        term.resize(40, 20)
        assert term.wait_exit() == 0
        lines = term.lines()
    assert lines[-1].endswith("w299")
    assert max(len(row) for row in lines[-10:]) <= 40


def test_a_flood_of_log_lines_keeps_the_display_current(tmp_path):
    items = [events.start(0.0, "tail")]
    items += [events.line(0.0, f"2026-01-01 INFO request {i} done", "a.log") for i in range(60_000)]
    items.append(events.end(0.0, "eof"))
    recording = write_jsonl(tmp_path / "flood.jsonl", items)
    with PtyTerminal(["replay", str(recording), "--speed", "0"], columns=80, rows=24) as term:
        assert term.wait_exit() == 0
        display = [row for row in term.display() if row]
        raw = len(term.raw)
    assert display[-1] == "2026-01-01 INFO request 59999 done"
    assert any("lines skipped to keep up" in row for row in term.lines())
    assert raw < 60_000 * 10  # far less than every line written


def test_live_stats_line_then_one_summary_on_stderr(tmp_path):
    text = "".join(f"word{i} " for i in range(150))
    recording = text_stream(tmp_path / "stats.jsonl", text, size=5, step=0.01)
    with PtyTerminal(
        ["replay", str(recording), "--stats"], columns=80, rows=10, stderr_to_pty=False
    ) as term:
        term.wait_for(lambda t: any("chunks/s" in r for r in t.display()), what="status line")
        assert term.wait_exit() == 0
        assert not any("chunks" in row for row in term.lines())
    assert term.stderr.decode().startswith("streamcli: first token")


def test_no_color_is_still_live(tmp_path):
    recording = text_stream(tmp_path / "a.jsonl", "**Bold** text that keeps growing " * 8)
    with PtyTerminal(["replay", str(recording)], env={"NO_COLOR": "1"}, columns=60) as term:
        assert term.wait_exit() == 0
    assert COLOUR.search(term.raw) is None
    assert b"\x1b[1m" in term.raw and CURSOR_UP.search(term.raw)


@pytest.mark.parametrize(
    ("args", "env"), [(["--plain"], {}), ([], {"TERM": "dumb"})], ids=["plain", "dumb"]
)
def test_plain_text_on_a_terminal_when_asked(tmp_path, args, env):
    recording = text_stream(tmp_path / "a.jsonl", "# Title\n\nSome **bold** text.\n")
    with PtyTerminal(["replay", str(recording), *args], env=env) as term:
        assert term.wait_exit() == 0
    assert term.lines() == ["# Title", "", "Some **bold** text."]
    assert b"\x1b" not in term.raw


@pytest.mark.parametrize(
    ("args", "env"), [(["--plain"], {}), ([], {"TERM": "dumb"})], ids=["plain", "dumb"]
)
def test_an_asciicast_as_plain_text_shows_its_escape_sequences(tmp_path, args, env):
    header = {"version": 2, "width": 80, "height": 24}
    cast = write_jsonl(tmp_path / "demo.cast", [header, [0.0, "o", "\x1b[31mred\x1b[0m\r\n"]])
    with PtyTerminal(["replay", "--speed", "0", str(cast), *args], env=env) as term:
        assert term.wait_exit() == 0
    assert "red" in term.text() and "[31m" in term.text()  # visible, not obeyed
    assert b"\x1b[31m" not in term.raw


def test_into_a_pipe_the_markdown_source_streams_unchanged(tmp_path):
    source = "# Title\n\n- a\n- b\n\n```\ncode\n```\n"
    recording = text_stream(tmp_path / "a.jsonl", source)
    result = run_cli("replay", str(recording), "--speed", "0")
    assert result.returncode == 0 and result.stdout == source.encode()


def test_force_color_into_a_pipe_is_coloured_but_never_moves_the_cursor(tmp_path):
    recording = text_stream(tmp_path / "a.jsonl", "# Title\n\nSome `code` and **bold**.\n")
    result = run_cli("replay", str(recording), "--stats", FORCE_COLOR="1", TERM="xterm-256color")
    assert result.returncode == 0
    assert COLOUR.search(result.stdout) and b"Title" in result.stdout
    assert CURSOR_UP.search(result.stdout) is None
    assert HIDE_CURSOR not in result.stdout and b"\x1b[?2026" not in result.stdout
    assert b"# Title" not in result.stdout  # rendered, not the source


def test_an_empty_answer_says_so(tmp_path):
    recording = write_jsonl(
        tmp_path / "empty.jsonl", [events.start(0.0, "chat"), events.end(0.1, "stop")]
    )
    with PtyTerminal(["replay", str(recording)], columns=60, rows=10) as term:
        assert term.wait_exit() == 0
    assert term.lines() == ["(empty answer)"]


def test_ctrl_c_in_tail_puts_the_note_on_a_line_of_its_own(tmp_path):
    log = tmp_path / "app.log"
    log.write_text("first line\n")
    with PtyTerminal(["tail", str(log)], columns=60, rows=10) as term:
        term.wait_for_text("first line")
        term.write(b"\x03")  # typed: the terminal echoes ^C, then sends SIGINT
        assert term.wait_exit() == 130
    lines = term.lines()
    assert "(interrupted)" in lines and not any("^C(" in line for line in lines), lines


@pytest.mark.parametrize("columns", [1, 3, 7, 9])
def test_at_a_few_columns_nothing_live_stays_behind(tmp_path, columns):
    """The sink draws at the terminal's real width, however narrow: a row wider than the
    screen would wrap, and erasing the region would leave the wrapped part behind (the
    spinner's `⠋ waiti`, the cursor glyph `▋`)."""
    answer = "# Title\n\nHi there friend, a list:\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 |\n"
    items = [events.start(0.0, "chat", model="m")]
    items += [events.text(0.6 + i * 0.01, answer[i : i + 4]) for i in range(0, len(answer), 4)]
    items.append(events.end(1.5, "stop"))
    path = write_jsonl(tmp_path / "rec.jsonl", items)
    with PtyTerminal(["replay", str(path)], columns=columns, rows=12) as term:
        assert term.wait_exit() == 0
        shown = "".join(term.lines())
    assert not set(shown) & set(FRAMES) and "▋" not in shown and "waiti" not in shown
    squeezed = shown.replace(" ", "")
    for word in ("Title", "Hithere", "friend", "one", "two"):
        assert word in squeezed, (word, term.lines())
