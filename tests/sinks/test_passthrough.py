"""asciicast output: written as recorded through the escape filter, the terminal restored."""

from __future__ import annotations

import io

from hypothesis import given
from hypothesis import strategies as st

from streamcli import events
from streamcli.sinks.escapes import EscapeFilter
from streamcli.sinks.passthrough import RESTORE_TERMINAL, PassthroughSink


def filtered(text: str) -> str:
    f = EscapeFilter()
    return f.feed(text) + f.flush()


def test_clipboard_and_titles_removed_everything_else_kept():
    assert filtered("a\x1b]52;c;Y3VybCBldmlsfHNo\x07b") == "ab"
    assert filtered("a\x1b]0;title\x1b\\b") == "ab"
    assert filtered("a\x1b]2;title\x07b\x1b]1;icon\x07c") == "abc"
    assert filtered("a\x9d52;c;eA==\x9cb") == "ab"
    kept = "\x1b[1;31mred\x1b[0m \x1b[2J\x1b[H\x1b[?1049h\x1b7\x1b[3;20r\x1b8"
    assert filtered(kept) == kept
    assert filtered("\x1b]8;;https://x\x1b\\link\x1b]8;;\x1b\\ \x1b]7;file://h/\x07") == "link "


SAMPLE = st.lists(
    st.sampled_from(
        [
            "x",
            "\x1b",
            "]",
            "52",
            ";",
            "0",
            "c;",
            "eA==",
            "\x07",
            "\\",
            "\x1b[31m",
            "\x9d",
            "\x9c",
            "8",
        ]
    ),
    max_size=40,
).map("".join)


@given(SAMPLE, st.lists(st.integers(0, 200), max_size=10))
def test_filtering_in_chunks_equals_filtering_whole(text, cuts):
    cuts = sorted(c for c in cuts if 0 < c < len(text))
    pieces = [text[i:j] for i, j in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    f = EscapeFilter()
    assert "".join(f.feed(p) for p in pieces) + f.flush() == filtered(text)


def test_sink_writes_output_as_recorded_and_restores_a_terminal():
    out, err = io.BytesIO(), io.StringIO()
    sink = PassthroughSink(out, err, safe=True, restore_terminal=True)
    sink.write([events.text(0, "\x1b[?1049h\x1b[?25lhi\x1b]52;c;"), events.text(0, "eA==\x07!")])
    sink.close()
    assert out.getvalue() == b"\x1b[?1049h\x1b[?25lhi!" + RESTORE_TERMINAL


def test_unsafe_keeps_everything():
    out = io.BytesIO()
    sink = PassthroughSink(out, io.StringIO(), safe=False, restore_terminal=False)
    sink.write([events.text(0, "a\x1b]52;c;eA==\x07b")])
    sink.close()
    assert out.getvalue() == b"a\x1b]52;c;eA==\x07b"
