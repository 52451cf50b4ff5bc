"""rich renderables turned into terminal rows, written with as few bytes as the look allows.

rich pads every row to the full width with spaces and repeats the whole style (plus a
reset) around every segment. Here a row is kept as runs of text with their style; the
trailing padding is dropped (a coloured background becomes one "erase to end of line" in
that colour), and writing a row emits only the SGR parameters that change between runs
(a new foreground colour, not the background again). Rows can also be written from a
column onwards, so redrawing a row that only grew at its end costs only the new part.
No hyperlinks are ever written.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from typing import Literal, NamedTuple

from markdown_it.token import Token
from rich.cells import cell_len
from rich.color import Color, ColorSystem, ColorType
from rich.console import Console, RenderableType
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from streamcli.sinks.markdown_blocks import SafeMarkdown

ColorDepth = Literal["standard", "256", "truecolor"]

RESET = "\x1b[0m"
ERASE_LINE = "\x1b[K"

_COLOR_SYSTEMS = {
    "standard": ColorSystem.STANDARD,
    "256": ColorSystem.EIGHT_BIT,
    "truecolor": ColorSystem.TRUECOLOR,
}


class Sgr(NamedTuple):
    """A text style as SGR parameters: attributes, foreground, background."""

    attrs: tuple[str, ...] = ()
    fg: str = ""
    bg: str = ""


PLAIN = Sgr()

Run = tuple[str, Sgr]


class Row(NamedTuple):
    """One terminal row: runs of styled text, its width, and a background fill.

    `cells` is -1 for raw text of unknown width (written untouched with `--raw`).
    `fill` is the background that continues to the end of the row, if any.
    `newline` is False only for a raw fragment that does not end its row.
    """

    runs: tuple[Run, ...]
    cells: int
    fill: Sgr | None = None
    newline: bool = True


BLANK = Row((), 0)


class Rendered(NamedTuple):
    """Rows rendered from `source` at `width`, kept so they are not rendered again."""

    source: str
    width: int
    rows: list[Row]


def raw_row(text: str, newline: bool = True) -> Row:
    """Text written exactly as it is (`--raw`)."""
    return Row(((text, PLAIN),), -1, None, newline)


def fold(line: Row, width: int) -> list[Row]:
    """`line` cut into rows of at most `width` cells, for a screen narrower than the
    layout (Markdown needs room for its indents; every character is kept)."""
    if line.cells <= width:  # (raw rows too)
        return [line]
    runs = list(line.runs)
    while runs and runs[-1][1] == PLAIN and not runs[-1][0].strip(" "):
        runs.pop()  # padding
    if runs and runs[-1][1] == PLAIN:
        runs[-1] = (runs[-1][0].rstrip(" "), PLAIN)
    rows: list[Row] = []
    row: list[Run] = []
    cells = 0
    for text, style in runs:
        piece: list[str] = []
        for char in text:
            size = cell_len(char)
            if cells + size > width and cells:
                if piece:
                    row.append(("".join(piece), style))
                    piece = []
                rows.append(Row(tuple(row), cells, line.fill))
                row, cells = [], 0
            piece.append(char)
            cells += size
        if piece:
            row.append(("".join(piece), style))
    rows.append(Row(tuple(row), cells, line.fill, line.newline))
    return rows


def plain_text(line: Row) -> str:
    """The characters of a row without styles (for tests and measurements)."""
    return "".join(text for text, _ in line.runs)


def color_system_for(environ: Mapping[str, str]) -> ColorDepth:
    """The colour depth the terminal announces (FORCE_COLOR=2/3, COLORTERM, TERM)."""
    force = environ.get("FORCE_COLOR", "")
    if force == "3" or environ.get("COLORTERM", "").lower() in ("truecolor", "24bit"):
        return "truecolor"
    if force == "2" or "256color" in environ.get("TERM", ""):
        return "256"
    return "standard"


# -- writing rows --------------------------------------------------------------


def transition(current: Sgr, wanted: Sgr) -> str:
    """The shortest SGR sequence that turns style `current` into `wanted`."""
    if current == wanted:
        return ""
    if wanted == PLAIN:
        return RESET
    if any(attr not in wanted.attrs for attr in current.attrs):
        # switching attributes off one by one is not simpler than starting over
        return "\x1b[" + ";".join(("0", *wanted.attrs, *_colors(wanted))) + "m"
    codes = [attr for attr in wanted.attrs if attr not in current.attrs]
    if wanted.fg != current.fg:
        codes.append(wanted.fg or "39")
    if wanted.bg != current.bg:
        codes.append(wanted.bg or "49")
    return "\x1b[" + ";".join(codes) + "m" if codes else ""


def _colors(style: Sgr) -> tuple[str, ...]:
    return tuple(code for code in (style.fg, style.bg) if code)


def encode(line: Row, *, erase: bool = False, width: int = 0) -> str:
    """`line` as terminal characters (without its newline).

    With `erase`, the rest of the row is cleared (the row held older characters); a
    background fill is always drawn to the end of the row. Raw rows are written as they
    are, after clearing the row when asked.
    """
    if line.cells < 0:
        return (ERASE_LINE if erase else "") + plain_text(line)
    out: list[str] = []
    state = PLAIN
    for text, style in line.runs:
        if style != state:
            out.append(transition(state, style))
            state = style
        out.append(text)
    if line.fill is not None:
        fill = Sgr(bg=line.fill.bg)
        out.append(transition(state, fill))
        out.append(ERASE_LINE)
        state = fill
    if state != PLAIN:
        out.append(RESET)
    if erase and line.fill is None and 0 <= line.cells < width:
        out.append(ERASE_LINE)
    return "".join(out)


def encode_padded(line: Row, width: int) -> str:
    """`line` for a file or a pipe: a background fill is drawn with spaces."""
    if line.fill is None or line.cells < 0:
        return encode(line)
    plain = line._replace(fill=None)
    fill = Sgr(bg=line.fill.bg)
    return encode(plain) + transition(PLAIN, fill) + " " * max(width - line.cells, 0) + RESET


def common_prefix(old: Row, new: Row) -> tuple[int, int, Row] | None:
    """Where `new` starts to differ from `old`: (column, run index, new's rest as a Row).

    None when the rows have nothing in common worth keeping. The cut never separates a
    character from the combining marks or joiners that follow it.
    """
    if old.cells < 0 or new.cells < 0 or not old.runs or not new.runs:
        return None
    runs_old, runs_new = old.runs, new.runs
    column = 0
    index = 0
    limit = min(len(runs_old), len(runs_new))
    while index < limit and runs_old[index] == runs_new[index]:
        column += cell_len(runs_new[index][0])
        index += 1
    rest = list(runs_new[index:])
    if index < limit and runs_old[index][1] == runs_new[index][1]:
        text_old, text_new = runs_old[index][0], runs_new[index][0]
        same = _common_length(text_old, text_new)
        if same:
            column += cell_len(text_new[:same])
            rest[0] = (text_new[same:], runs_new[index][1])
    if column == 0:
        return None
    if rest and not rest[0][0]:
        rest.pop(0)
    return column, index, Row(tuple(rest), new.cells - column, new.fill, new.newline)


def _common_length(a: str, b: str) -> int:
    """Length of the common prefix of `a` and `b`, backed off before combining marks."""
    limit = min(len(a), len(b))
    same = 0
    while same < limit and a[same] == b[same]:
        same += 1
    while 0 < same < len(b) and _joins_previous(b[same]):
        same -= 1
    while same > 0 and _joins_next(b[same - 1]):
        same -= 1
    return same


def _joins_previous(char: str) -> bool:
    return unicodedata.category(char) in ("Mn", "Me", "Mc") or "\ufe00" <= char <= "\ufe0f"


def _joins_next(char: str) -> bool:
    return char == "\u200d" or "\U0001f1e6" <= char <= "\U0001f1ff"  # joiner, flag half


# -- rendering -----------------------------------------------------------------


class LineEncoder:
    """Segments of one rendered row → a `Row`."""

    def __init__(self, color_system: ColorDepth = "truecolor", no_color: bool = False) -> None:
        self._system = _COLOR_SYSTEMS[color_system]
        self._no_color = no_color
        self._styles: dict[Style, Sgr] = {}

    def sgr(self, style: Style | None) -> Sgr:
        """`style` as SGR parameters (PLAIN for the default look)."""
        if style is None:
            return PLAIN
        found = self._styles.get(style)
        if found is None:
            attrs = style.without_color._make_ansi_codes(self._system)
            found = Sgr(
                tuple(attrs.split(";")) if attrs else (),
                "" if self._no_color else self._color(style.color, True),
                "" if self._no_color else self._color(style.bgcolor, False),
            )
            self._styles[style] = found
        return found

    def _color(self, color: Color | None, foreground: bool) -> str:
        if color is None or color.type == ColorType.DEFAULT:
            return ""
        return ";".join(color.downgrade(self._system).get_ansi_codes(foreground))

    def encode(self, segments: list[Segment]) -> Row:
        kept = [(s.text, s.style) for s in segments if not s.control and s.text]
        fill: Sgr | None = None
        while kept:  # trailing padding: dropped, or kept as a background fill
            text, style = kept[-1]
            stripped = text.rstrip(" ")
            if stripped == text:
                break
            if fill is None and style is not None and self.sgr(style).bg:
                fill = Sgr(bg=self.sgr(style).bg)
            if stripped:
                kept[-1] = (stripped, style)
                break
            kept.pop()
        runs: list[Run] = []
        cells = 0
        for text, style in kept:
            sgr = self.sgr(style)
            cells += cell_len(text)
            if runs:
                last_text, last = runs[-1]
                if last == sgr or (text.isspace() and _same_on_spaces(last, sgr)):
                    runs[-1] = (last_text + text, last)
                    continue
                if last_text.isspace() and _same_on_spaces(last, sgr):
                    runs[-1] = (last_text + text, sgr)
                    continue
            runs.append((text, sgr))
        return Row(tuple(runs), cells, fill)


class Renderer:
    """Renders Markdown and rich Text at the terminal's width into `Row`s."""

    def __init__(
        self,
        width: int,
        height: int,
        *,
        color_system: ColorDepth = "truecolor",
        no_color: bool = False,
        code_theme: str = "monokai",
    ) -> None:
        self.console = Console(
            file=io.StringIO(),
            width=width,
            height=height,
            force_terminal=True,
            color_system=color_system,
            no_color=no_color,
            markup=False,
            emoji=False,
            highlight=False,
            legacy_windows=False,
            _environ={},
        )
        self.encoder = LineEncoder(color_system, no_color)
        self.code_theme = code_theme
        self.markdown_renders = 0  # counted, so tests can check that ticks never render

    @property
    def width(self) -> int:
        return self.console.width

    def resize(self, width: int, height: int) -> None:
        self.console.size = (width, height)

    def lines(self, renderable: RenderableType) -> list[Row]:
        """Every row `renderable` takes at the current width."""
        console = self.console
        options = console.options
        # rich's own `render_lines` cuts a segment at each newline by copying the rest
        # of it, which is quadratic for a long paragraph (one segment, all its rows).
        segments = _one_line_each(console.render(renderable, options))
        rows = Segment.split_and_crop_lines(
            segments, options.max_width, pad=False, include_new_lines=False
        )
        encode = self.encoder.encode
        return [encode(row) for row in rows]

    def markdown(self, source: str, tokens: list[Token] | None = None) -> list[Row]:
        """`source` (or its `tokens`) as Markdown, without blank rows before or after it."""
        self.markdown_renders += 1
        try:
            lines = self.lines(SafeMarkdown(source, code_theme=self.code_theme, tokens=tokens))
        except Exception:  # a renderer bug must not end the stream: show the source
            lines = self.lines(Text(source))
        start, end = 0, len(lines)
        while start < end and _is_blank(lines[start]):
            start += 1
        while end > start and _is_blank(lines[end - 1]):
            end -= 1
        return lines[start:end]


def _one_line_each(segments: Iterable[Segment]) -> Iterator[Segment]:
    """`segments`, each cut after its newlines: at most one newline per segment."""
    for segment in segments:
        text = segment.text
        if segment.control or text.count("\n") < 2:
            yield segment
            continue
        style = segment.style
        *rows, last = text.split("\n")
        for row in rows:
            yield Segment(row + "\n", style)
        if last:
            yield Segment(last, style)


def _is_blank(line: Row) -> bool:
    return line.cells == 0 and line.fill is None


_VISIBLE_ON_SPACES = frozenset({"4", "7", "8", "9", "21", "51", "52", "53"})  # lines, reverse…


def _same_on_spaces(a: Sgr, b: Sgr) -> bool:
    """Whether spaces look the same in both styles (only the foreground colour differs)."""
    return a.bg == b.bg and a.attrs == b.attrs and _VISIBLE_ON_SPACES.isdisjoint(a.attrs)
