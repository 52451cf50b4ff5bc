"""The live region, checked on a terminal emulator (pyte) byte for byte."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from screens import COLUMNS, ROWS, emulator, everything

from streamcli.sinks.ansi_lines import (
    PLAIN,
    Row,
    Sgr,
    plain_text,
    raw_row,
)
from streamcli.sinks.live_region import BEGIN_SYNC, HIDE_CURSOR, SHOW_CURSOR, LiveRegion

STYLES = [PLAIN, Sgr(("1",)), Sgr((), "31"), Sgr(("1",), "32", "44"), Sgr(("4",), "", "45")]
WORDS = st.sampled_from(["a", "bb", "ccc ", " ", "é", "日本", "wörd", "x y"])
RUNS = st.lists(st.tuples(WORDS, st.sampled_from(STYLES)), max_size=8)


def make_line(runs: list[tuple[str, Sgr]]) -> Row:
    text_runs = []
    cells = 0
    for text, style in runs:
        width = sum(2 if "\u3000" <= c <= "\u9fff" else 1 for c in text)
        if cells + width > COLUMNS:
            break
        text_runs.append((text, style))
        cells += width
    return Row(tuple(text_runs), cells)


LINES = RUNS.map(make_line)


@settings(max_examples=200, deadline=None)
@given(
    frames=st.lists(
        st.tuples(st.lists(LINES, max_size=4), st.lists(LINES, max_size=ROWS - 1)),
        min_size=1,
        max_size=12,
    )
)
def test_screen_always_shows_final_rows_then_the_region(frames):
    screen, stream = emulator()
    region = LiveRegion()
    printed: list[str] = []
    for final, live in frames:
        stream.feed(region.frame(final, live, COLUMNS))
        printed += [plain_text(line).rstrip() for line in final]
        expected = printed + [plain_text(line).rstrip() for line in live]
        while expected and not expected[-1]:
            expected.pop()
        assert everything(screen) == expected
    stream.feed(region.frame([], [], COLUMNS) + region.restore())
    while printed and not printed[-1]:
        printed.pop()
    assert everything(screen) == printed
    assert not screen.cursor.hidden


def test_a_growing_row_costs_only_its_new_characters():
    region = LiveRegion()
    first = Row((("hello", PLAIN),), 5)
    grown = Row((("hello world", PLAIN),), 11)
    region.frame([], [first], COLUMNS)
    data = region.frame([], [grown], COLUMNS)
    assert "hello" not in data and " world" in data
    assert data.startswith(BEGIN_SYNC)


def test_nothing_changed_writes_nothing():
    region = LiveRegion()
    line = Row((("same", Sgr(("1",))),), 4)
    assert region.frame([], [line], COLUMNS)
    assert region.frame([], [line], COLUMNS) == ""


def test_cursor_hidden_while_a_region_shows_and_shown_again():
    region = LiveRegion()
    assert region.frame([], [Row((("x", PLAIN),), 1)], COLUMNS).startswith(HIDE_CURSOR)
    assert region.restore() == SHOW_CURSOR
    assert region.restore() == ""


def test_append_mode_never_moves_the_cursor():
    region = LiveRegion(live=False)
    data = region.frame([Row((("a", Sgr((), "31")),), 1, Sgr(bg="44"))], [], 10)
    data += region.frame([Row((("b", PLAIN),), 1)], [Row((("live", PLAIN),), 4)], 10)
    assert "\x1b[31ma" in data
    for forbidden in ("A", "G", "J", "K", "?25"):
        assert f"\x1b[{forbidden}" not in data and "\x1b[1" + forbidden not in data
    assert "live" not in data
    assert data.endswith("b\n")


def test_raw_rows_are_written_untouched_and_clear_their_row():
    region = LiveRegion()
    region.frame([], [Row((("old text", PLAIN),), 8)], COLUMNS)
    data = region.frame([raw_row("\x1b[31mred\x1b[0m")], [], COLUMNS)
    assert "\x1b[K\x1b[31mred\x1b[0m\n" in data


def test_after_the_terminal_rewraps_the_next_frame_moves_up_over_every_row_and_erases():
    region = LiveRegion()
    rows = [Row((("a" * 15, PLAIN),), 15), Row((("b" * 7, PLAIN),), 7)]
    region.frame([], rows, 16)
    region.rewrapped(16, 8)  # 15 cells now take 2 rows, 7 cells 1
    data = region.frame([], [Row((("a" * 8, PLAIN),), 8)], 8)
    assert data.startswith(BEGIN_SYNC + "\x1b[3A\r\x1b[J")


def test_a_wider_terminal_rewraps_nothing():
    region = LiveRegion()
    row = Row((("abc", PLAIN),), 3)
    region.frame([], [row], 16)
    region.rewrapped(16, 32)
    assert region.frame([], [row], 32) == ""
