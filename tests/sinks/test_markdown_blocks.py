"""The Markdown block splitter: finished blocks handed out once, in order, never moved."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streamcli.sinks.ansi_lines import Renderer, plain_text
from streamcli.sinks.markdown_blocks import BlockSplitter

SAMPLES = [
    """# Title

A paragraph with **bold**, `code` and a [link](https://example.com).
It goes on for a second line.

## Lists

- one
- two
  continued lazily
- three

1. first
2. second

> a quote
> on two lines

```python
def f(x):
    return x * 2
```

| a | b |
|---|---|
| 1 | 2 |
| 3 | 4 |

---

Setext heading
==============

    indented code

Last paragraph.
""",
    "no newline at the end, just one paragraph",
    "\n\n\nleading blank lines\n\n\n\ntrailing ones\n\n\n",
    "```\nan unclosed fence\nwith lines\n",
    "para\n| a | b |\n|---|---|\n| 1 | 2 |\nnot a row? x\n\nafter\n",
    "> quote\n-x lazy continuation\n\n- a list\n\n  continued item\n\nend",
    "* a\n*\n\n**bold** paragraph\n\n~~~\nfence ~~~ inside\n~~~\n***\n",
    "1. one\n\n2. two\n\n3) other list\n\ntext\n---\nmore\n",
    # paragraphs whose lines, read alone, would be something else
    "a long\nparagraph\n    indented\n2. not a list\n[x]: /not-a-def\n| a | b |\n|---|---|\nrow\n",
    "para one\nline two\nline three\nunderlined\n===\nnext\nmore\n# head\nafter\n",
    "words\nwords\nwords\n> quote\nlazy\n\n```\ncode\n```\nwords\n- item\nwords\n",
]


def chunk(text: str, cuts: list[int]) -> list[str]:
    points = sorted({c for c in cuts if 0 < c < len(text)})
    edges = [0, *points, len(text)]
    return [text[a:b] for a, b in pairwise(edges) if a < b]


@settings(max_examples=150, deadline=None)
@given(
    sample=st.sampled_from(SAMPLES),
    cuts=st.lists(st.integers(min_value=0, max_value=1000), max_size=60),
)
@pytest.mark.parametrize("small", [BlockSplitter.SMALL, 0])
def test_committed_text_plus_tail_is_the_input_for_any_chunking(small, sample, cuts):
    splitter = BlockSplitter()
    splitter.SMALL = small  # 0: every tail counts as large (parsed whole only now and then)
    seen = ""
    committed = 0
    handed_out = ""
    for piece in chunk(sample, cuts):
        seen += piece
        handed_out += "".join(block.source for block in splitter.feed(piece))
        assert splitter.committed >= committed  # never backwards
        committed = splitter.committed
        assert handed_out + splitter.tail == seen
        assert len(handed_out) == committed
    handed_out += "".join(block.source for block in splitter.finish())
    assert handed_out == sample
    assert splitter.tail == ""


@settings(max_examples=60, deadline=None)
@given(
    sample=st.sampled_from(SAMPLES),
    cuts=st.lists(st.integers(min_value=0, max_value=1000), max_size=40),
)
@pytest.mark.parametrize("small", [BlockSplitter.SMALL, 0])
def test_blocks_are_the_same_for_any_chunking(small, sample, cuts):
    """Where the document is cut into blocks does not depend on how it arrived."""
    whole = [(b.source, b.type) for b in _all_blocks([sample])]
    streamed = [(b.source, b.type) for b in _all_blocks(chunk(sample, cuts), small)]
    assert _merge_blank(streamed) == _merge_blank(whole)


def _all_blocks(chunks, small=BlockSplitter.SMALL):
    splitter = BlockSplitter()
    splitter.SMALL = small
    blocks = []
    for piece in chunks:
        blocks += splitter.feed(piece)
    return blocks + splitter.finish()


def _merge_blank(blocks):
    """Blocks as (content, type), ignoring how blank lines between them were assigned."""
    return [(source.strip("\n"), kind) for source, kind in blocks if source.strip()]


def test_rendered_blocks_read_like_the_whole_document_rendered_at_once():
    """Each block rendered alone, stacked, shows the same rows as one render (blank rows aside)."""
    renderer = Renderer(80, 24, color_system="standard")
    for sample in SAMPLES:
        whole = [plain_text(line) for line in renderer.markdown(sample)]
        stacked = []
        for block in _all_blocks(chunk(sample, list(range(0, len(sample), 7)))):
            stacked += [plain_text(line) for line in renderer.markdown(block.source)]
        assert [row for row in stacked if row.strip()] == [row for row in whole if row.strip()]


def test_an_open_fence_is_never_finished_early():
    splitter = BlockSplitter()
    blocks = splitter.feed("intro\n\n```python\nx = 1\n\n\nmore = 2\n")
    assert [b.type for b in blocks] == ["paragraph_open"]
    assert splitter.tail.startswith("```python")
    assert splitter.feed("```\n\nafter\n")[0].type == "fence"


def test_a_half_received_line_does_not_decide_a_boundary():
    """``> quote`` then ``-`` looks like a new list, but ``-x`` continues the quote."""
    splitter = BlockSplitter()
    assert splitter.feed("> quote\n-") == []
    assert splitter.feed("x lazy\n\nnext\n")[0].source == "> quote\n-x lazy\n\n"


def test_a_table_is_one_block_until_something_else_starts():
    splitter = BlockSplitter()
    assert splitter.feed("| a | b |\n|---|---|\n| 1 | 2 |\n") == []
    assert splitter.feed("| 3 | 4 |\n") == []
    [table] = splitter.feed("\nafter\n")
    assert table.type == "table_open"
    assert table.source == "| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |\n\n"


def test_only_the_tail_is_parsed_again():
    """After a block is finished, the splitter holds only the last block's text."""
    splitter = BlockSplitter()
    text = "".join(f"Paragraph number {i}.\n\n" for i in range(500))
    for i in range(0, len(text), 5):
        splitter.feed(text[i : i + 5])
        assert len(splitter.tail) < 60
