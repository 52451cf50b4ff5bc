"""Layout: rows printed for good, the live region, and the blank rows between kinds."""

from __future__ import annotations

from streamcli.sinks.ansi_lines import BLANK, PLAIN, Row, plain_text, raw_row
from streamcli.sinks.layout import Layout


def rows(*texts: str) -> list[Row]:
    return [Row(((text, PLAIN),), len(text)) for text in texts]


def shown(layout_rows: list[Row]) -> list[str]:
    return [plain_text(row) for row in layout_rows]


def test_a_blank_row_separates_markdown_and_reasoning_from_everything_else():
    layout = Layout()
    assert not layout.needs_gap(None, "markdown")  # nothing above: no gap
    assert layout.needs_gap("markdown", "tool") and layout.needs_gap("tool", "markdown")
    assert layout.needs_gap("reasoning", "notice") and layout.needs_gap("line", "reasoning")
    assert not layout.needs_gap("tool", "notice") and not layout.needs_gap("line", "line")
    assert not layout.needs_gap("reasoning", "reasoning")


def test_two_blocks_are_separated_except_after_a_rule():
    layout = Layout()
    layout.commit_block(rows("para"), "paragraph_open")
    layout.commit_block(rows("────"), "hr")
    layout.commit_block(rows("next"), "paragraph_open")
    layout.commit_block(rows("last"), "paragraph_open")
    assert shown(layout.take()) == ["para", "", "────", "next", "", "last"]


def test_take_hands_the_rows_out_once():
    layout = Layout()
    layout.commit("tool", rows("✓ t 5 ms"))
    layout.commit("notice", rows("streamcli: note"))
    assert shown(layout.take()) == ["✓ t 5 ms", "streamcli: note"]
    assert layout.take() == []
    assert layout.last_kind == "notice"


def test_a_raw_fragment_stays_open_until_something_else_comes():
    layout = Layout()
    layout.commit_raw("one\ntw")
    assert layout.open_line
    layout.commit_raw("o\n")  # continues the open row
    assert not layout.open_line
    layout.commit_raw("three")
    layout.commit("tool", rows("✓ t 5 ms"))  # ends the fragment, then the blank row
    assert layout.take() == [
        raw_row("one"),
        raw_row("tw", newline=False),
        raw_row("o"),
        raw_row("three", newline=False),
        raw_row(""),
        BLANK,
        *rows("✓ t 5 ms"),
    ]


def test_the_region_puts_spinners_under_the_live_text_and_the_status_last():
    layout = Layout()
    layout.commit("tool", rows("✓ a 1 ms"))
    region = layout.region("markdown", rows("live"), rows("⠋ b"), rows("status")[0], 20)
    assert shown(region) == ["", "live", "", "⠋ b", "", "status"]


def test_the_region_without_live_text():
    layout = Layout()
    assert layout.region("markdown", [], [], None, 20) == []
    assert shown(layout.region("markdown", [], [], rows("status")[0], 20)) == ["status"]
    layout.commit("tool", rows("✓ a 1 ms"))
    assert shown(layout.region("markdown", [], rows("⠋ b"), None, 20)) == ["⠋ b"]


def test_a_tall_live_block_shows_its_bottom_and_the_region_stays_under_the_screen():
    layout = Layout()
    live = rows(*(f"row {i}" for i in range(30)))
    region = layout.region("markdown", live, rows("⠋ t"), None, 10)
    assert len(region) == 9  # one row less than the screen
    assert shown(region)[-3:] == ["row 29", "", "⠋ t"]
