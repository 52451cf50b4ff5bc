"""The terminal sink in-process, with a fake clock, read back through a terminal emulator."""

from __future__ import annotations

import io
import re
import threading

import orjson
import pyte
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from ptyterm import resize_screen
from rich.segment import Segment
from rich.style import Style

from streamcli import events
from streamcli.pipeline import Pipeline
from streamcli.sinks.ansi_lines import Renderer, Sgr, plain_text
from streamcli.sinks.spinner import FRAMES, INTERVAL
from streamcli.sinks.terminal import TerminalSink
from streamcli.sinks.text_stream import CURSOR_GLYPH
from streamcli.stream import Source

ANSWER = """# Release notes

The **new** renderer streams Markdown with `O(n)` work and shows
[the docs](https://example.com/docs) with their address.

## Changes

- finished blocks are printed once
- only the last block is redrawn
- spinners tick without rendering

```python
def render(tail: str) -> str:
    return tail
```

| step | cost |
|------|------|
| parse | tail only |
| write | one per frame |

That is all.
"""


class Term:
    """A TerminalSink writing into a pyte screen, driven by a fake clock."""

    def __init__(self, columns: int = 60, rows: int = 14, **options) -> None:
        self.now = 1000.0
        self.size = (columns, rows)
        self.out = io.BytesIO()
        options.setdefault("color_system", "256")
        self.sink = TerminalSink(
            self.out, size=lambda: self.size, clock=lambda: self.now, **options
        )
        self.screen = pyte.HistoryScreen(columns, rows, history=10_000)
        self.screen.set_mode(pyte.modes.LNM)
        self.stream = pyte.ByteStream(self.screen)
        self._read = 0

    def send(self, *items: dict) -> bytes:
        self.sink.write(list(items))
        return self._pump()

    def tick(self, seconds: float = INTERVAL) -> bytes:
        self.now += seconds
        self.sink.tick()
        return self._pump()

    def close(self) -> bytes:
        self.sink.close()
        return self._pump()

    def stream_text(self, text: str, size: int = 3, per_frame: int = 11) -> None:
        chunks = [events.text(0.0, text[i : i + size]) for i in range(0, len(text), size)]
        for i in range(0, len(chunks), per_frame):
            self.now += 0.033
            self.send(*chunks[i : i + per_frame])

    def resize(self, columns: int, rows: int) -> None:
        self.size = (columns, rows)
        resize_screen(self.screen, columns, rows)

    def _pump(self) -> bytes:
        data = self.out.getvalue()[self._read :]
        self._read += len(data)
        self.stream.feed(data)
        return data

    def display(self) -> list[str]:
        return [row.rstrip() for row in self.screen.display]

    def lines(self) -> list[str]:
        columns = self.screen.columns
        rows = [
            "".join(r[x].data for x in range(columns)).rstrip() for r in self.screen.history.top
        ]
        rows += self.display()
        while rows and not rows[-1]:
            rows.pop()
        return rows

    def text(self) -> str:
        return "\n".join(self.lines())

    def find(self, needle: str) -> tuple[int, int]:
        for y, row in enumerate(self.screen.display):
            x = row.find(needle)
            if x >= 0:
                return y, x
        raise AssertionError(f"{needle!r} not on screen:\n" + "\n".join(self.display()))


def spinner_glyphs(text: str) -> set[str]:
    return set(text) & set(FRAMES)


# -- Markdown -------------------------------------------------------------------


def test_markdown_is_rendered_and_every_block_printed_exactly_once():
    term = Term(columns=72, rows=10)
    term.send(events.start(0.0, "chat", model="m"))
    term.stream_text(ANSWER)
    term.send(events.end(1.0, "stop"))
    term.close()
    lines = term.lines()
    text = "\n".join(lines)
    assert "#" not in text and "```" not in text and "**" not in text  # rendered, not source
    assert "Release notes" in text and "• finished blocks are printed once" in text
    assert "def render(tail: str) -> str:" in text
    assert any(set(row.strip()) == {"─"} for row in lines)  # the table's rule
    assert "(https://example.com/docs)" in text  # links show their URL
    for needle in ("Release notes", "Changes", "only the last block", "return tail", "parse"):
        assert sum(needle in row for row in lines) == 1, needle
    assert lines[-1].strip() == "That is all."
    assert not spinner_glyphs(text) and CURSOR_GLYPH not in text
    assert not term.screen.cursor.hidden


def test_cost_follows_frames_not_chunks():
    """Markdown is rendered about once per frame and once per finished block."""
    term = Term(columns=80, rows=20)
    document = ANSWER * 20
    term.stream_text(document, size=3, per_frame=30)
    term.close()
    frames = len(document) // 90 + 1
    assert term.sink.renderer.markdown_renders <= frames + 20 * 8
    assert term.sink.output.writes <= frames + 2  # one write per frame at most


def test_the_last_block_shows_a_cursor_glyph_while_it_streams():
    term = Term()
    term.send(events.text(0.0, "Typing along"))
    assert term.display()[0] == "Typing along" + CURSOR_GLYPH
    term.close()
    assert term.display()[0] == "Typing along"


def test_no_cursor_glyph_when_asked():
    term = Term(cursor_glyph=False)
    term.send(events.text(0.0, "Typing along"))
    assert CURSOR_GLYPH not in term.text()


def test_a_block_taller_than_the_screen_shows_its_end_then_prints_whole():
    term = Term(columns=40, rows=12)
    code = "".join(f"line_{i:03d} = {i}\n" for i in range(60))
    term.stream_text("Intro.\n\n```python\n" + code, size=7)
    display = term.display()
    assert any("line_059" in row for row in display)  # the newest line is visible
    assert sum(bool(row) for row in display) <= 12
    term.send(events.text(0.0, "```\n\nAfter.\n"))
    term.close()
    lines = term.lines()
    for i in range(60):
        assert sum(f"line_{i:03d} " in row for row in lines) == 1, i  # whole, exactly once
    assert lines[-1] == "After."


def test_untrusted_text_is_shown_harmlessly():
    term = Term(columns=80)
    hostile = (
        "Title \x1b]0;pwned\x07 clip \x1b]52;c;ZWNobw==\x07 up \x1b[1A\x1b[2K "
        "hide \x1b[?25l csi \x9b31m [bold]markup[/bold] [link=https://x]y[/link] "
        "<script>alert(1)</script> ![img](https://x/i.png)\n"
    )
    term.send(events.text(0.0, hostile))
    term.close()
    text = term.text()
    assert term.screen.title == ""
    assert "\\x1b]0;pwned\\x07" in text and "\\x9b31m" in text
    assert "[bold]markup[/bold]" in text and "[link=https://x]y[/link]" in text
    assert "<script>alert(1)</script>" in text  # raw HTML shown, never dropped
    assert "(https://x/i.png)" in text  # image URLs shown too
    assert not term.screen.cursor.hidden
    assert b"\x1b]" not in term.out.getvalue()  # no OSC at all: no links, titles, clipboard


def test_unknown_events_and_odd_fields_are_ignored():
    term = Term()
    term.send({"type": "mystery", "t": 0.0, "text": "no"}, {"type": "text", "t": 0.0, "text": 5})
    term.send(events.text(0.0, "ok"))
    term.close()
    assert term.lines() == ["ok"]


# -- spinners, ticks and the frame clock ------------------------------------------


def test_waiting_spinner_until_the_first_token():
    term = Term()
    term.send(events.start(0.0, "chat", model="m"))
    assert "waiting for model…" in term.display()[0]
    first = term.display()[0][0]
    term.tick()
    assert term.display()[0][0] != first  # the spinner moved
    term.send(events.text(0.0, "Hello"))
    assert term.display()[0].startswith("Hello") and "waiting" not in term.text()


def test_no_waiting_spinner_for_log_tails():
    term = Term()
    term.send(events.start(0.0, "tail"))
    assert term.sink.next_tick() is None and term.lines() == []


def test_ticks_follow_the_spinner_clock_and_never_render_markdown():
    term = Term()
    assert term.sink.next_tick() is None  # nothing animates: no ticks
    term.send(events.text(0.0, "A paragraph that stays live"))
    term.send(events.tool_start(0.0, "c1", "search", {"q": "x"}))
    term.send(events.text(0.0, "and more live text"))
    renders = term.sink.renderer.markdown_renders
    for _ in range(25):
        due = term.sink.next_tick()
        assert due is not None and term.now < due <= term.now + INTERVAL + 1e-9
        term.now = due
        data = term.tick(0)
        assert len(data) < 120  # only the spinner row changes
    assert term.sink.renderer.markdown_renders == renders
    assert "search 2.0s" in term.text()


def test_concurrent_tools_get_a_row_each_then_a_mark_with_duration():
    term = Term(columns=70)
    term.send(events.tool_start(0.0, "a", "search", {"query": "streaming markdown"}))
    term.send(events.tool_start(0.0, "b", "fetch", {"url": "https://example.com"}))
    rows = [row for row in term.display() if row]
    assert len(rows) == 2
    assert "search" in rows[0] and '{"query":"streaming markdown"}' in rows[0]
    assert "fetch" in rows[1]
    term.tick(1.0)
    term.send(events.tool_end(0.0, "a", "search", True, "3 results", 48.0))
    term.send(events.tool_end(0.0, "b", "fetch", False, "HTTP 500\nstack trace…", 1234.0))
    term.close()
    text = term.text()
    assert "✓ search 48 ms" in text and "✗ fetch 1.2 s: HTTP 500" in text
    assert "stack trace" not in text and not spinner_glyphs(text)
    y, x = term.find("✓")
    assert term.screen.buffer[y][x].fg == "green"


def test_tools_still_running_at_the_end_are_marked_stopped():
    term = Term()
    term.send(events.tool_start(0.0, "a", "slow", {}))
    term.tick(2.5)
    term.send(events.end(0.0, "interrupted"))
    term.close()
    text = term.text()
    assert "■ slow stopped after 2.5s" in text and "(interrupted)" in text
    assert not spinner_glyphs(text)


def test_status_line_while_streaming_erased_at_the_end():
    term = Term(status_line=True)
    term.send(events.start(0.0, "chat"), events.text(0.1, "Hello"), events.text(0.2, " there"))
    assert any("2 chunks" in row for row in term.display())
    term.close()
    assert "chunks" not in term.text() and term.lines() == ["Hello there"]


# -- around the answer -------------------------------------------------------------


def test_reasoning_is_dim_and_can_be_hidden():
    term = Term()
    term.send(events.reasoning(0.0, "Let me think\nabout it"))
    term.send(events.text(0.0, "The answer."))
    term.close()
    assert term.lines() == ["Let me think", "about it", "", "The answer."]
    assert term.screen.buffer[term.find("Let me")[0]][0].italics

    hidden = Term(hide_reasoning=True)
    hidden.send(events.start(0.0, "chat"), events.reasoning(0.0, "secret thoughts"))
    assert "thinking…" in hidden.text()
    hidden.send(events.text(0.0, "The answer."))
    hidden.close()
    assert hidden.lines() == ["The answer."]


def test_reasoning_hidden_option():
    term = Term(hide_reasoning=True)
    term.send(events.reasoning(0.0, "hmm"), events.text(0.0, "yes"))
    term.close()
    assert "hmm" not in term.text()


def test_notices_and_errors_are_marked_and_coloured():
    term = Term(columns=80)
    term.send(events.text(0.0, "Partial answer"))
    term.send(events.notice(0.0, "rotated", file="app.log"))
    term.send(events.error(0.0, "http", "HTTP 503: overloaded\x1b[31m"), events.end(0.0, "error"))
    term.close()
    lines = term.lines()
    assert lines[0] == "Partial answer"
    assert "streamcli: app.log: rotated" in lines
    assert "streamcli: error: HTTP 503: overloaded\\x1b[31m" in lines
    y, x = term.find("error:")
    assert term.screen.buffer[y][x].fg == "red" and term.screen.buffer[y][x].bold


def test_cut_off_answers_say_so():
    term = Term(columns=80)
    term.send(events.text(0.0, "Half an ans"), events.end(0.0, "length"))
    term.close()
    assert "cut off" in term.text()


# -- log lines -------------------------------------------------------------------------


def test_log_levels_are_coloured():
    term = Term(columns=80)
    term.send(
        events.line(0.0, "2026-01-02 12:00:00 ERROR disk full", "app.log"),
        events.line(0.0, "2026-01-02 12:00:01 [warn] slow", "app.log"),
        events.line(0.0, "level=info msg=ok", "app.log"),
        events.line(0.0, "no level here, an error in passing", "app.log"),
    )
    term.close()
    buffer = term.screen.buffer
    y, x = term.find("ERROR")
    assert buffer[y][x].fg == "red" and buffer[y][x].bold
    y, x = term.find("warn")
    assert buffer[y][x].fg == "brown"  # pyte's name for yellow
    y, x = term.find("info")
    assert buffer[y][x].fg == "green"
    y, x = term.find("an error")
    assert buffer[y][x + 3].fg == "default"


def test_structured_log_lines_show_time_level_message_fields():
    term = Term(columns=100)
    record = {
        "time": "12:00:00.5",
        "level": "warn",
        "msg": "disk low",
        "free_mb": 12,
        "dev": "sda 1",
    }
    term.send(events.line(0.0, orjson.dumps(record).decode(), "app.log"))
    term.send(events.line(0.0, '{"not": json}', "app.log"))
    term.close()
    assert term.lines() == ['12:00:00.5 WARN  disk low free_mb=12 dev="sda 1"', '{"not": json}']


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ("header", ["==> a.log <==", "one", "two", "", "==> b.log <==", "three"]),
        ("prefix", ["a.log: one", "a.log: two", "b.log: three"]),
        ("none", ["one", "two", "three"]),
    ],
)
def test_line_labels_like_the_text_sink(labels, expected):
    term = Term(line_labels=labels)
    term.send(events.line(0.0, "one", "a.log"), events.line(0.0, "two", "a.log"))
    term.send(events.line(0.0, "three", "b.log"))
    term.close()
    assert term.lines() == expected


def test_raw_lines_are_untouched():
    term = Term(raw=True)
    term.send(events.line(0.0, "\x1b[31mred\x1b[0m plain", "a.log"))
    term.close()
    assert term.lines() == ["red plain"]
    assert term.screen.buffer[0][0].fg == "red"


def test_raw_text_streams_untouched():
    term = Term(raw=True)
    term.send(events.tool_start(0.0, "a", "t", {}))
    term.send(events.tool_end(0.0, "a", "t", True, "", 5.0))
    term.send(events.text(0.0, "# not\x1b[1m rendered"), events.text(0.0, "\nsecond"))
    term.close()
    assert term.lines() == ["✓ t 5 ms", "", "# not rendered", "second"]


def test_a_flood_shows_the_newest_screenful_and_how_much_was_skipped():
    term = Term(columns=50, rows=12)
    flood = [events.line(0.0, f"line {i}", "app.log") for i in range(10_000)]
    data = term.send(*flood)
    display = [row for row in term.display() if row]
    assert display[-1] == "line 9999"
    assert any(re.search(r"… 9,9\d\d lines skipped", row) for row in display)
    assert len(data) < 2000
    term.send(events.line(0.0, "calm again", "app.log"))
    assert "calm again" in term.display()


# -- modes and sizes --------------------------------------------------------------------


def test_append_mode_prints_finished_blocks_without_moving_the_cursor():
    term = Term(live=False)
    term.send(events.start(0.0, "chat"), events.text(0.0, "First **block**.\n\nSecond\n"))
    first = term.out.getvalue()
    assert b"First" in first and b"Second" not in first
    assert b"\x1b[1m" in first  # styled
    term.send(
        events.tool_start(0.0, "a", "search", {}), events.tool_end(0.0, "a", "search", True, "", 3)
    )
    term.close()
    data = term.out.getvalue()
    assert re.search(rb"\x1b\[\d*[ABCDGHJKF]|\x1b\[\?25|\x1b\[\?2026", data) is None
    assert term.lines() == ["First block.", "", "Second", "", "→ search {}", "✓ search 3 ms"]


def test_no_color_keeps_styles_and_the_live_region():
    term = Term(no_color=True)
    term.send(events.text(0.0, "**bold** and `code`\n\n```python\nx = 1\n```\n\nmore"))
    term.send(events.text(0.0, " text"))
    term.close()
    data = term.out.getvalue()
    assert re.search(rb"\x1b\[[0-9;]*(3[0-7]|4[0-7]|38;|48;|9[0-7])[;m]", data) is None
    assert b"\x1b[1m" in data and b"\x1b[1A" in data


def test_a_new_width_applies_from_the_next_frame():
    term = Term(columns=60, rows=10)
    term.send(events.text(0.0, "First paragraph.\n\n"))
    term.resize(30, 10)
    term.send(events.text(0.0, "word " * 20))
    term.close()
    assert max(len(row) for row in term.lines()[2:]) <= 30


def test_close_is_idempotent_and_quiet_when_nothing_was_shown():
    term = Term()
    term.close()
    term.close()
    assert term.out.getvalue() == b""
    term.send(events.text(0.0, "late"))
    assert term.out.getvalue() == b""


# -- with the pipeline ---------------------------------------------------------------------


class SlowSource(Source):
    name = "test"

    def __init__(self) -> None:
        self.release = threading.Event()

    def batches(self):
        yield [events.start(0.0, "test"), events.text(0.0, "first")]
        self.release.wait(10)
        yield [events.text(0.1, f" {i}") for i in range(500)]
        yield [events.end(0.2, "stop")]


def test_pipeline_paints_the_first_token_at_once_and_coalesces_the_rest():
    out = io.BytesIO()
    sink = TerminalSink(out, size=lambda: (80, 24))
    source = SlowSource()
    seen_first = threading.Event()
    original = sink.write

    def write(batch):
        original(batch)
        if b"first" in out.getvalue():
            seen_first.set()
            source.release.set()

    sink.write = write  # type: ignore[method-assign]
    assert Pipeline(source, sink).run() == 0
    assert seen_first.is_set()
    assert sink.output.writes <= 6  # 500 events: a handful of frames, not 500 writes
    assert b" 499" in out.getvalue() and out.getvalue().endswith(b"\x1b[?25h")


def test_a_shorter_screen_still_shows_the_region_whole():
    """The terminal pushed the region's top into the scrollback: redraw what is on screen."""
    term = Term(columns=40, rows=12)
    term.send(events.text(0.0, "".join(f"- item {i}\n" for i in range(10))))
    term.resize(40, 6)
    term.send(events.text(0.0, "- item 10\n- item 11"))
    rows = [row for row in term.display() if row]
    assert rows == [f" • item {i}" for i in range(7, 11)] + [" • item 11" + CURSOR_GLYPH]


# -- choosing the sink -----------------------------------------------------------------------


def _environment(tty: bool, **environ: str):
    from streamcli.env import Environment

    return Environment(
        stdin=io.BytesIO(),
        stdout=io.BytesIO(),
        stderr=io.StringIO(),
        stdout_isatty=tty,
        environ=environ,
    )


@pytest.mark.parametrize(
    ("tty", "environ", "flags", "expected"),
    [
        (True, {}, {}, "live"),
        (True, {"NO_COLOR": "1"}, {}, "live"),
        (True, {"TTY_INTERACTIVE": "0"}, {}, "append"),
        (True, {"TERM": "dumb"}, {}, "text"),
        (True, {}, {"plain": True}, "text"),
        (True, {}, {"json": True}, "jsonl"),
        (False, {}, {}, "text"),
        (False, {"FORCE_COLOR": "1"}, {}, "append"),
        (False, {"FORCE_COLOR": "1", "TERM": "dumb"}, {}, "text"),
    ],
)
def test_the_sink_is_chosen_from_the_environment(tty, environ, flags, expected):
    from streamcli.sinks import OutputOptions, choose_sink

    sink = choose_sink(_environment(tty, **environ), OutputOptions(**flags))
    if isinstance(sink, TerminalSink):
        kind = "live" if sink._screen.live else "append"
    else:
        kind = {"TextSink": "text", "JsonlSink": "jsonl"}[type(sink).__name__]
    assert kind == expected


def test_no_color_and_the_output_flags_reach_the_terminal_sink():
    from streamcli.sinks import OutputOptions, choose_sink

    options = OutputOptions(hide_reasoning=True, no_cursor=True, stats=True)
    sink = choose_sink(_environment(True, NO_COLOR="1"), options)
    assert isinstance(sink, TerminalSink)
    assert sink.renderer.encoder.sgr(Style(color="red", bold=True)) == Sgr(("1",))
    assert sink._hide_reasoning and not sink._text._cursor_glyph and sink._stats is not None


# -- anything goes ---------------------------------------------------------------------------


WORD = st.from_regex(r"[a-z]{2,7}", fullmatch=True)
SYNTAX = st.sampled_from(
    [
        " ",
        " ",
        "\n",
        "\n\n",
        "# ",
        "## ",
        "- ",
        "1. ",
        "> ",
        "**",
        "_",
        "`",
        "```\n",
        "~~",
        "---\n",
        "    ",
        "![",
        "](",
        ")",
        "[",
        "]",
        "\x1b[31m",
        "\x1b]0;t\x07",
        "\r",
        "😀",
        "日本",
        "\u202e",
        "\t",
        "<b>",
        "</b>",
        "\\",
    ]
)
PIECES = st.lists(st.one_of(WORD.map(lambda w: f" {w} "), SYNTAX), min_size=1, max_size=80)
OTHER = st.sampled_from(["tool", "notice", "reasoning", "line", "tick", "resize"])


@settings(max_examples=150, deadline=None)
@given(
    pieces=PIECES,
    cuts=st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=30),
    others=st.lists(st.tuples(st.integers(min_value=0, max_value=30), OTHER), max_size=4),
    status=st.booleans(),
)
def test_any_stream_ends_whole_with_the_terminal_restored(pieces, cuts, others, status):
    term = Term(columns=50, rows=10, status_line=status)
    text = "".join(pieces)
    term.send(events.start(0.0, "chat"))
    position = 0
    inserts = dict(others)
    for frame, cut in enumerate(cuts * 4, start=1):
        if position >= len(text):
            break
        term.send(events.text(0.0, text[position : position + cut]))
        position += cut
        kind = inserts.get(frame)
        if kind == "tool":
            term.send(events.tool_start(0.0, "t", "tool", {"a": 1}))
        elif kind == "notice":
            term.send(events.notice(0.0, "note"))
        elif kind == "reasoning":
            term.send(events.reasoning(0.0, "think\nmore"))
        elif kind == "line":
            term.send(events.line(0.0, "ERROR log", "f"))
        elif kind == "tick":
            term.tick(0.5)
        elif kind == "resize":
            term.resize(35, 8)
    if position < len(text):
        term.send(events.text(0.0, text[position:]))
    term.send(events.end(0.0, "stop"))
    term.close()
    shown = " ".join(term.lines())
    assert not term.screen.cursor.hidden
    assert not spinner_glyphs(shown) and CURSOR_GLYPH not in shown
    if not others:  # (other events may split a word that was arriving)
        for index, piece in enumerate(pieces):
            info_string = "".join(pieces[:index]).endswith(("```", "~~~"))  # a fence's language
            if piece.startswith(" ") and piece.strip().isalpha() and not info_string:
                assert piece.strip() in shown, piece  # every word reaches the screen


def test_a_huge_live_block_costs_a_screenful_per_frame_not_its_size():
    term = Term(columns=60, rows=12)
    rendered: list[int] = []
    original = term.sink.renderer.markdown

    def markdown(source, tokens=None):
        rendered.append(len(source))
        return original(source, tokens)

    term.sink.renderer.markdown = markdown  # type: ignore[method-assign]
    paragraph = " ".join(f"word{i}" for i in range(12_000))  # one line of 100 KB
    term.stream_text(paragraph, size=2000, per_frame=1)
    assert max(rendered) < 5 * 12 * 60  # live frames render about a screenful
    assert term.display()[-2].endswith("word11999" + CURSOR_GLYPH)
    term.close()
    assert max(rendered) >= len(paragraph)  # and the finished block is printed whole
    assert "word0 word1" in term.text() and term.lines()[-1].endswith("word11999")


def test_a_long_paragraph_costs_each_frame_the_same_however_long_it_grows(monkeypatch):
    """Every Markdown parse is counted (the splitter's and the live region's): the frames
    late in a paragraph of many lines parse no more than the early ones (before, the
    whole unfinished paragraph was parsed again on every frame: quadratic)."""
    parsed: list[int] = []
    original = MarkdownIt.parse

    def parse(self, src, env=None):
        parsed.append(len(src))
        return original(self, src, env)

    monkeypatch.setattr(MarkdownIt, "parse", parse)
    term = Term(columns=60, rows=12)
    per_frame: list[int] = []
    for i in range(600):  # one paragraph, a line of ~50 characters per frame
        before = sum(parsed)
        term.send(events.text(0.0, f"line {i} of a paragraph that keeps on growing\n"))
        per_frame.append(sum(parsed) - before)
    early, late = sum(per_frame[100:200]), sum(per_frame[500:600])
    assert late <= 1.2 * early, (early, late)
    assert term.display()[-2].startswith("line 599 of a paragraph")
    term.close()
    assert term.lines()[-1].startswith("line 599") and "line 0 of a" in term.text()


def test_a_paragraph_of_many_rows_is_cut_into_rows_without_copying_it_per_row(monkeypatch):
    """rich cuts a segment into rows by copying the rest of it at each newline, which is
    quadratic for a paragraph (one segment, all its rows): the renderer hands rich
    segments of a row each."""
    seen: list[int] = []
    original = Segment.split_and_crop_lines

    def split(segments, *args, **kwargs):
        def counted():
            for segment in segments:
                seen.append(len(segment.text))
                yield segment

        return original(counted(), *args, **kwargs)

    monkeypatch.setattr(Segment, "split_and_crop_lines", split)
    renderer = Renderer(60, 12, color_system="256")
    paragraph = "".join(f"line {i} of a long paragraph\n" for i in range(2000))
    rows = renderer.markdown(paragraph)
    assert [plain_text(row) for row in rows[:2]] == [
        "line 0 of a long paragraph",
        "line 1 of a long paragraph",
    ]
    assert len(rows) == 2000
    assert max(seen) < 100  # no segment holds more than a row or so


# -- the terminal never shows less than the text --------------------------------------

WORD = st.from_regex(r"[A-Za-z]{1,8}|[0-9]{1,4}", fullmatch=True)
MARKER = st.sampled_from(["", "", "- ", "+ ", "* ", "# ", "## ", "> ", "1. ", "7) ", "2024. "])
MARKDOWNISH_LINE = st.one_of(
    st.tuples(MARKER, st.lists(WORD, max_size=6)).map(lambda t: t[0] + " ".join(t[1])),
    st.sampled_from(["", "", "369.", "1999.", "1.", "7)", "-", "+", "#", "**bold** text"]),
)


@settings(max_examples=150, deadline=None)
@given(
    lines=st.lists(MARKDOWNISH_LINE, min_size=1, max_size=12),
    cuts=st.lists(st.integers(min_value=1, max_value=15), min_size=1, max_size=10),
)
def test_every_word_and_number_of_the_answer_is_on_the_screen(lines, cuts):
    source = "\n".join(lines)
    term = Term(columns=60, rows=8)
    term.send(events.start(0.0, "chat"))
    position = 0
    for cut in cuts * 20:
        if position >= len(source):
            break
        term.now += 0.033
        term.send(events.text(0.0, source[position : position + cut]))
        position += cut
    if position < len(source):
        term.send(events.text(0.0, source[position:]))
    term.send(events.end(1.0, "stop"))
    term.close()
    screen = " ".join(term.text().split())
    for word in re.findall(r"[A-Za-z0-9]+", source):
        assert word in screen, (word, source, term.lines())


@pytest.mark.parametrize(
    ("answer", "shown"),
    [
        ("369.", "369."),
        ("2024. A good year.", "2024. A good year."),
        ("7)", "7)"),
        ("#", "#"),
        ("1999.\n\nAnd more.", "1999."),
    ],
)
def test_an_answer_that_is_only_a_list_number_or_a_heading_mark_is_shown(answer, shown):
    term = Term(columns=60, rows=8)
    term.send(events.start(0.0, "chat"), events.text(0.0, answer), events.end(1.0, "stop"))
    term.close()
    assert shown in term.text()


def test_a_single_line_break_stays_a_line_break():
    term = Term(columns=60, rows=8)
    term.send(events.start(0.0, "chat"), events.text(0.0, "hi\nName:\nCity:"))
    term.send(events.end(1.0, "stop"))
    term.close()
    assert term.lines()[-3:] == ["hi", "Name:", "City:"]
