"""What `streamcli bench` shows: tables, latency histograms drawn in the terminal, JSON.

Everything a server or a file sent (model names, error messages) is sanitized before it
is shown, and no text is ever read as rich markup.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence
from typing import Any, BinaryIO

import orjson
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from streamcli.bench.percentiles import summary_dict
from streamcli.bench.pipeline_mode import SinkRun
from streamcli.env import Environment
from streamcli.sanitize import sanitize

BAR_WIDTH = 40
HISTOGRAM_BINS = 10
_EIGHTHS = " ▏▎▍▌▋▊▉█"
STAT_COLUMNS = ("count", "mean", "min", "p50", "p90", "p95", "p99", "max")


PIPE_WIDTH = 10_000  # into a pipe or a file, tables are as wide as they need: no "termin…"


def console_for(env: Environment, stream: io.StringIO) -> Console:
    """A rich console writing to `stream`, coloured only when stdout is a terminal."""
    columns, _ = env.terminal_size()
    return Console(
        file=stream,
        force_terminal=env.stdout_isatty,
        color_system="auto" if env.stdout_isatty else None,
        no_color=env.no_color,
        width=max(60, columns) if env.stdout_isatty else PIPE_WIDTH,
        markup=False,
        highlight=False,
        emoji=False,
        _environ=dict(env.environ),
    )


def show(env: Environment, *renderables: Any) -> None:
    """Render to stdout in one write."""
    buffer = io.StringIO()
    console = console_for(env, buffer)
    for renderable in renderables:
        console.print(renderable)
    text = buffer.getvalue()
    if not env.stdout_isatty:  # rich pads every row to the table's width
        text = "".join(line.rstrip() + "\n" for line in text.splitlines())
    env.stdout.write(text.encode("utf-8", "replace"))
    env.stdout.flush()


def json_lines(stream: BinaryIO, items: Iterable[dict[str, Any]]) -> None:
    stream.write(b"".join(orjson.dumps(item, option=orjson.OPT_APPEND_NEWLINE) for item in items))
    stream.flush()


# -- histograms ---------------------------------------------------------------------


def histogram(values: Sequence[float], title: str, unit: str = "ms") -> Table | None:
    """Counts per bin as bars. Bins span min → p99; the rest share one last row."""
    if not values:
        return None
    ordered = sorted(values)
    low = ordered[0]
    p99 = ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)]
    high = ordered[-1]
    top = p99 if high > p99 and (high - low) > 2 * (p99 - low) > 0 else high
    bins = HISTOGRAM_BINS if top > low else 1
    width = (top - low) / bins if top > low else 1.0
    counts = [0] * bins
    over = 0
    for value in ordered:
        if value > top:
            over += 1
        else:
            counts[min(int((value - low) / width), bins - 1)] += 1
    table = Table(title=title, title_justify="left", box=None, show_header=False, pad_edge=False)
    table.add_column(justify="right", style="dim")
    table.add_column()
    table.add_column(justify="right")
    most = max([*counts, over])
    digits = _digits(width)
    for i, count in enumerate(counts):
        start, end = low + i * width, low + (i + 1) * width
        label = f"{start:.{digits}f} – {end:.{digits}f} {unit}" if bins > 1 else f"{low:g} {unit}"
        table.add_row(label, _bar(count, most), str(count))
    if over:
        table.add_row(f"> {top:.{digits}f} {unit}", _bar(over, most), str(over))
    return table


def _digits(width: float) -> int:
    if width >= 10:
        return 0
    if width >= 1:
        return 1
    if width >= 0.1:
        return 2
    return 3


def _bar(count: int, most: int) -> Text:
    eighths = round(count / most * BAR_WIDTH * 8) if most else 0
    if count and not eighths:
        eighths = 1
    full, rest = divmod(eighths, 8)
    return Text("█" * full + (_EIGHTHS[rest] if rest else ""), style="cyan")


# -- pipeline mode ------------------------------------------------------------------


def sink_item(run: SinkRun) -> dict[str, Any]:
    """One sink run as a JSON object (`--json`, `--save`)."""
    config = run.config
    return {
        "type": "bench_sink",
        "t": round(run.seconds, 6),
        "sink": run.sink,
        "sink_class": run.sink_class,
        "target": run.target,
        "content": config.content,
        "chunks": run.chunks,
        "chunk_size": config.sizes.low if config.sizes.fixed else str(config.sizes),
        "bytes": run.bytes,
        "rate": config.rate,
        "seed": config.seed,
        "seconds": round(run.seconds, 6),
        "chunks_per_s": round(run.chunks_per_s, 1),
        "mb_per_s": round(run.mb_per_s, 3),
        "latency_ms": summary_dict(run.latencies, 1000.0),
        "frames": run.frames,
        "writes": run.writes,
        "output_bytes": run.output_bytes,
        "received_bytes": run.received_bytes,
        "cpu_s": round(run.cpu_s, 4),
        "source_cpu_s": round(run.source_cpu_s, 4),
        "peak_rss_mb": round(run.peak_rss_mb, 1),
        "status": run.status,
    }


def pipeline_table(items: Sequence[dict[str, Any]]) -> Table:
    table = Table(
        title="streamcli bench: the pipeline, per sink (latency in ms)", title_justify="left"
    )
    table.add_column("sink")
    for name in ("chunks/s", "MB/s", "p50", "p90", "p99", "max", "frames", "writes", "CPU s"):
        table.add_column(name, justify="right")
    table.add_column("peak MB", justify="right")
    for item in items:
        latency = item.get("latency_ms") or {}
        table.add_row(
            item["sink"],
            f"{item['chunks_per_s']:,.0f}",
            f"{item['mb_per_s']:.2f}",
            *(_ms(latency.get(key)) for key in ("p50", "p90", "p99", "max")),
            f"{item['frames']:,}",
            f"{item['writes']:,}",
            f"{item['cpu_s']:.2f}",
            f"{item['peak_rss_mb']:.0f}",
        )
    return table


def pipeline_caption(items: Sequence[dict[str, Any]]) -> Text:
    first = items[0]
    rate = f"{first['rate']:g} chunks/s" if first.get("rate") else "as fast as possible"
    return Text(
        f"{first['chunks']:,} chunks of {first['chunk_size']} bytes ({first['content']}), "
        f"{rate}, seed {first['seed']}. Latency: from a chunk's arrival to the end of the "
        "write that carried it. terminal: into a pseudo-terminal; text, jsonl: into a pipe.",
        style="dim",
    )


def show_pipeline(env: Environment, runs: Sequence[SinkRun]) -> None:
    items = [sink_item(run) for run in runs]
    parts: list[Any] = [pipeline_table(items), pipeline_caption(items)]
    for run in runs:
        latencies = [v * 1000 for v in run.latencies]
        table = histogram(latencies, f"\n{run.sink}: per-chunk latency")
        if table is not None:
            parts.append(table)
    show(env, Group(*parts))


# -- endpoint mode ------------------------------------------------------------------


def endpoint_tables(summary: dict[str, Any], header: dict[str, Any]) -> list[Any]:
    unit = summary.get("output_unit", "tokens")
    title = (
        f"streamcli bench: {sanitize(str(header.get('provider')))} "
        f"{sanitize(str(header.get('model')))} at {sanitize(str(header.get('url')))}"
    )
    metrics = Table(title=title, title_justify="left")
    metrics.add_column("ms")
    for name in STAT_COLUMNS:
        metrics.add_column(name, justify="right")
    per = "token" if unit == "tokens" else "chunk"
    rows = [
        ("TTFT", "ttft_ms"),
        (f"TPOT (per {per})", "tpot_ms"),
        ("ICL (between chunks)", "icl_ms"),
        ("E2E", "e2e_ms"),
        ("queue (client)", "queue_ms"),
        ("start lag (client)", "start_lag_ms"),
    ]
    for label, key in rows:
        stats = summary.get(key)
        if stats is None:
            if key not in ("queue_ms", "start_lag_ms"):
                metrics.add_row(label, *(["–"] * len(STAT_COLUMNS)))
            continue
        metrics.add_row(label, str(stats["count"]), *(_ms(stats[k]) for k in STAT_COLUMNS[1:]))
    totals = Table(box=None, show_header=False, pad_edge=False)
    totals.add_column(style="bold")
    totals.add_column()
    errors = summary["errors"]
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(summary.get("error_kinds", {}).items()))
    empty = summary.get("empty", 0)
    completed = f"{summary['completed']} completed" + (f", {empty} of them empty" if empty else "")
    totals.add_row("requests", f"{summary['requests']} ({completed}, {errors} failed)")
    if kinds:
        totals.add_row("errors", kinds)
    first = summary.get("first_error")
    if first:
        totals.add_row("first error", sanitize(str(first.get("message", ""))))
    totals.add_row("duration", f"{summary['duration_s']:.2f} s")
    source = "server counts" if summary["token_source"] == "server" else "no server counts"
    totals.add_row("output", f"{summary['output_tokens']:,} {unit} ({source})")
    totals.add_row("throughput", f"{_rate(summary['output_tokens_per_s'])} {unit}/s")
    totals.add_row("requests/s", _rate(summary["requests_per_s"]))
    if "slo" in summary:
        objectives = ", ".join(f"{k[:-3]} ≤ {v:g} ms" for k, v in summary["slo"].items())
        totals.add_row(
            "goodput",
            f"{_rate(summary['goodput'])} requests/s "
            f"({summary['good']} of {summary['requests']} within {objectives})",
        )
    for worker in summary.get("workers") or ():
        totals.add_row(f"worker {worker['worker']}", sanitize(_worker_line(worker)))
    if summary.get("interrupted"):
        totals.add_row("interrupted", f"{summary['interrupted']} requests cut off (not counted)")
    return [metrics, totals]


def _worker_line(worker: dict[str, Any]) -> str:
    """One worker's part: where it ran, its requests, and what went wrong there."""
    line = f"{worker['host']}, pid {worker['pid']}: {worker.get('measured', 0)} requests"
    if worker.get("errors"):
        line += f", {worker['errors']} failed (the first: {worker['first_error']['message']})"
    if worker.get("lost"):
        line += f"; {worker['lost']}"
    if worker.get("clock") == "offset":
        line += f"; clock offset known within {worker['clock_error_ms']:g} ms"
    return line


def show_endpoint(
    env: Environment, summary: dict[str, Any], header: dict[str, Any], records: Sequence[Any]
) -> None:
    parts = endpoint_tables(summary, header)
    ok = [r for r in records if r.ok and not r.warmup and not r.cancelled]
    ttft = [r.ttft * 1000 for r in ok if r.ttft is not None]
    gaps = [g * 1000 for r in ok for g in r.gaps]
    for values, title in ((ttft, "\nTTFT"), (gaps, "\ninter-chunk latency")):
        table = histogram(values, title)
        if table is not None:
            parts.append(table)
    show(env, Group(*parts))


# -- comparing two saved runs -------------------------------------------------------


def compare_table(
    a: dict[str, Any], b: dict[str, Any], names: tuple[str, str], rows: Sequence[tuple[str, str]]
) -> Table:
    """`rows`: (label, dotted key) pairs, e.g. ("TTFT p50", "ttft_ms.p50")."""
    table = Table(title="streamcli bench --compare", title_justify="left")
    units = {str(side.get("output_unit", "tokens")) for side in (a, b)}
    unit = units.pop() if len(units) == 1 else "tokens or chunks"
    table.add_column("")
    table.add_column(sanitize(names[0]), justify="right")
    table.add_column(sanitize(names[1]), justify="right")
    table.add_column("change", justify="right")
    for label, key in rows:
        left, right = _dig(a, key), _dig(b, key)
        if left is None and right is None:
            continue
        label = label.replace("output tokens/s", f"output {unit}/s")
        table.add_row(label, _number(left), _number(right), _change(left, right))
    return table


ENDPOINT_ROWS = (
    ("requests", "requests"),
    ("errors", "errors"),
    ("empty answers", "empty"),
    *(
        (f"{label} {stat}", f"{key}.{stat}")
        for label, key in (("TTFT", "ttft_ms"), ("TPOT", "tpot_ms"), ("ICL", "icl_ms"))
        for stat in ("mean", "p50", "p90", "p99", "max")
    ),
    *((f"E2E {stat}", f"e2e_ms.{stat}") for stat in ("mean", "p50", "p99")),
    ("output tokens/s", "output_tokens_per_s"),
    ("requests/s", "requests_per_s"),
    ("goodput", "goodput"),
)


def pipeline_rows(sinks: Iterable[str]) -> list[tuple[str, str]]:
    rows = []
    for sink in sinks:
        rows += [
            (f"{sink} chunks/s", f"{sink}.chunks_per_s"),
            (f"{sink} MB/s", f"{sink}.mb_per_s"),
            (f"{sink} latency p50 ms", f"{sink}.latency_ms.p50"),
            (f"{sink} latency p99 ms", f"{sink}.latency_ms.p99"),
            (f"{sink} writes", f"{sink}.writes"),
            (f"{sink} CPU s", f"{sink}.cpu_s"),
            (f"{sink} peak MB", f"{sink}.peak_rss_mb"),
        ]
    return rows


def _dig(item: dict[str, Any], key: str) -> float | None:
    value: Any = item
    for part in key.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _number(value: float | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, int) or (float(value).is_integer() and abs(value) >= 1000):
        return f"{value:,.0f}"
    return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.1f}"


def _change(left: float | None, right: float | None) -> str:
    if left is None or right is None:
        return ""
    if left == 0:
        return "" if right == 0 else "new"
    return f"{(right - left) / abs(left) * 100:+.1f}%"


def _ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.2f}" if value < 100 else f"{value:.1f}"


def _rate(value: float | None) -> str:
    return "–" if value is None else f"{value:,.2f}"
