"""The live page's Markdown and log lines, rendered on the server, once.

A stream asked for with `?render=html` gets, besides its `--json` events, events of the
page's own after each frame (`PageRenderer`, the `SseSink`'s `extra` hook):

- `{"type": "block", "t", "html", "part", "length"}`: a finished Markdown block of the
  answer, rendered once — cut with the terminal's `BlockSplitter`, parsed with the same
  markdown-it dialect (raw HTML shown as text), code highlighted by Pygments (CSS classes,
  `static/highlight.css`). `length` is the block's source in UTF-16 code units (what the
  page cuts off the text it holds as live); `part` counts the tool calls before it (the
  answer continues below their rows).
- `{"type": "rows", "t", "html", "count"}`: the frame's log lines and notices (`count`
  rows), as the terminal colours them (levels, JSON logs as `time level message
  key=value`).

Untrusted text stays text: everything is escaped; controls, bidirectional and invisible
characters are shown as the terminal shows them (`sanitize`: `\u202e`, not a reversed
line); links only to http(s) and mailto addresses, opened with `rel="noopener
noreferrer"`; images become links (the page loads nothing from another origin).
"""

from __future__ import annotations

import functools
import html
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound
from rich.style import Style
from rich.text import Text

from streamcli.events import Event
from streamcli.sanitize import is_plain, sanitize, shown_per_character
from streamcli.sinks.logline import LEVEL_STYLES, LINE_STYLES, LineFormatter
from streamcli.sinks.markdown_blocks import Block, BlockSplitter, make_parser
from streamcli.sinks.present import notice_message

FRAME = 1 / 60  # s: a page's stream is written once a frame (the first chunk at once)
LINK_SCHEMES = ("http://", "https://", "mailto:")
CODE_CLASS_PREFIX = "hl-"  # Pygments' token classes, apart from the page's own
LIGHT_THEME = "default"
DARK_THEME = "github-dark"
CODE_SELECTOR = ".md pre code"


def safe_link(url: str) -> bool:
    """Whether a link may be a link: only http(s) and mailto (no javascript:, data:, or
    a path of this server)."""
    return url.strip().lower().startswith(LINK_SCHEMES)


def _highlight(code: str, language: str, attributes: str) -> str:
    """A fence's code as Pygments spans, or "" (markdown-it escapes it) for an unknown
    or missing language."""
    name = language.strip().split(maxsplit=1)[0] if language.strip() else ""
    if not name:
        return ""
    try:
        lexer = get_lexer_by_name(name)
    except ClassNotFound:
        return ""
    formatter = HtmlFormatter(nowrap=True, classprefix=CODE_CLASS_PREFIX)
    return str(pygments_highlight(code, lexer, formatter))


def _link_open(
    self: Any, tokens: Sequence[Token], index: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[index]
    token.attrSet("rel", "noopener noreferrer")
    token.attrSet("target", "_blank")
    return str(self.renderToken(tokens, index, options, env))


def _image(
    self: Any, tokens: Sequence[Token], index: int, options: OptionsDict, env: EnvType
) -> str:
    """An image as a link to it (or its alt text): the page loads nothing from elsewhere."""
    token = tokens[index]
    source = str(token.attrs.get("src", ""))
    alt = html.escape(token.content or source.rsplit("/", 1)[-1] or "image")
    if not safe_link(source):
        return f"🖼 {alt}"
    href = html.escape(source, quote=True)
    return f'<a href="{href}" rel="noopener noreferrer" target="_blank">🖼 {alt}</a>'


def _cell_open(
    self: Any, tokens: Sequence[Token], index: int, options: OptionsDict, env: EnvType
) -> str:
    """A table cell aligned by a class (`align-right`): the page's policy forbids inline
    styles, which markdown-it would write."""
    token = tokens[index]
    style = str(token.attrs.pop("style", ""))
    if style.startswith("text-align:"):
        token.attrSet("class", f"align-{style.removeprefix('text-align:')}")
    return str(self.renderToken(tokens, index, options, env))


def make_html_parser() -> MarkdownIt:
    """The terminal's Markdown dialect, rendered to HTML for the page."""
    parser = make_parser()
    parser.options["highlight"] = _highlight
    parser.options["breaks"] = True  # a single line break stays one, as on the terminal
    parser.validateLink = safe_link  # type: ignore[method-assign]
    parser.add_render_rule("link_open", _link_open)
    parser.add_render_rule("image", _image)
    parser.add_render_rule("th_open", _cell_open)
    parser.add_render_rule("td_open", _cell_open)
    return parser


_PARSER: MarkdownIt | None = None


def markdown_html(source: str) -> str:
    """`source` (Markdown, untrusted) as HTML for the page."""
    global _PARSER
    if _PARSER is None:
        _PARSER = make_html_parser()
    return str(_PARSER.render(sanitize(source)))


@functools.cache
def highlight_css() -> str:
    """The stylesheet of highlighted code (`/static/highlight.css`): light, and dark when
    the system is. Made by the Pygments that highlights, so its classes always match."""

    def rules(theme: str) -> str:
        formatter = HtmlFormatter(style=theme, classprefix=CODE_CLASS_PREFIX)
        defined = formatter.get_style_defs(CODE_SELECTOR).splitlines()
        # the tokens' colours; the block's own background is the page's
        return "\n".join(line for line in defined if line.startswith(f"{CODE_SELECTOR} ."))

    dark = rules(DARK_THEME).replace("\n", "\n  ")
    return (
        f"/* Pygments' {LIGHT_THEME} and {DARK_THEME} styles */\n{rules(LIGHT_THEME)}\n"
        f"@media (prefers-color-scheme: dark) {{\n  {dark}\n}}\n"
    )


def wanted(value: str | None) -> PageRenderer | None:
    """The page's rendering for a stream whose request says `render=VALUE`; raises
    `ValueError` for a value other than `html`."""
    if value is None:
        return None
    if value != "html":
        raise ValueError("render: html, or leave it out for the plain events")
    return PageRenderer()


def utf16_length(text: str) -> int:
    """The length of `text` as JavaScript counts it."""
    return len(text.encode("utf-16-le")) // 2


# How the terminal's log styles look on the page: a class each (where two levels share a
# style, the first, lower, one names it: a critical line is red as an error line is).
_STYLE_CLASSES: dict[Style, str] = {Style(dim=True): "dim"}
for _level, _style in LEVEL_STYLES.items():
    _STYLE_CLASSES.setdefault(_style, f"lv lv-{_level}")
for _level, _style in LINE_STYLES.items():
    _STYLE_CLASSES.setdefault(_style, f"ln-{_level}")


def text_html(text: Text) -> str:
    """rich `Text` of a log line as HTML: its text escaped, its styles as classes."""
    plain = text.plain
    shown = None if is_plain(plain) else shown_per_character(plain)  # as `sanitize` shows it
    spans = [span for span in text.spans if span.start < span.end]
    cuts = sorted({0, len(plain), *(s.start for s in spans), *(s.end for s in spans)})
    out = []
    for start, end in pairwise(cuts):
        if start >= len(plain):
            break
        piece = html.escape("".join(shown[start:end]) if shown else plain[start:end], quote=False)
        classes = [
            _STYLE_CLASSES[span.style]
            for span in spans
            if span.start <= start
            and span.end >= end
            and span.style in _STYLE_CLASSES
            and isinstance(span.style, Style)
        ]
        out.append(f'<span class="{" ".join(classes)}">{piece}</span>' if classes else piece)
    base = _STYLE_CLASSES.get(text.style) if isinstance(text.style, Style) else None
    return f'<div class="{f"row {base}" if base else "row"}">{"".join(out)}</div>'


class PageRenderer:
    """The `extra` hook of a stream shown on the page: finished Markdown blocks and log
    rows as HTML, each rendered once (see the module's docstring)."""

    def __init__(self) -> None:
        self._blocks = BlockSplitter()
        self._lines = LineFormatter()
        self._part = 0
        self._markdown = True  # a terminal recording (asciicast, text) is not Markdown

    def __call__(self, events: list[Event]) -> list[Event]:
        added: list[Event] = []
        rows: list[str] = []
        t = 0.0
        for event in events:
            kind = event.get("type")
            if isinstance(event.get("t"), (int, float)):
                t = event["t"]
            if kind == "text" and self._markdown:
                text = event.get("text")
                if isinstance(text, str):
                    self._add(added, self._blocks.feed(text), t)
            elif kind == "line":
                rows.extend(self._line(event))
            elif kind == "notice":
                message = html.escape(sanitize(notice_message(event)), quote=False)
                rows.append(f'<div class="row notice">{message}</div>')
            elif kind == "start":
                self._markdown = not event.get("format")
            elif kind in ("tool_start", "approval", "error", "end"):
                self._add(added, self._blocks.finish(), t)
                if kind == "tool_start":
                    self._part += 1
        if rows:
            added.append({"type": "rows", "t": t, "html": "".join(rows), "count": len(rows)})
        return added

    def _add(self, added: list[Event], blocks: list[Block], t: float) -> None:
        for block in blocks:
            added.append(
                {
                    "type": "block",
                    "t": t,
                    "html": markdown_html(block.source),
                    "part": self._part,
                    "length": utf16_length(block.source),
                }
            )

    def _line(self, event: Event) -> list[str]:
        return [
            text_html(row if isinstance(row, Text) else Text(row))
            for row in self._lines.format(event)
        ]
