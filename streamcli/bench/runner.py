"""`streamcli bench`: from the flags to a measured run, its report and its exit status.

Three modes: `--compare A B` shows two saved runs side by side; `--url`, `--provider` or
`--model` measure a live endpoint; otherwise the pipeline is measured. Exit status: 0 when
something was measured (failed requests are counted, not fatal), 1 when every request
failed, 2 for bad usage or an unreadable file, 130/143 when interrupted (what was measured
so far is still reported).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from streamcli import errors, events
from streamcli.bench.flags import (
    BENCH_PROVIDERS,
    ENDPOINT_ONLY,
    PIPELINE_ONLY,
    SINKS,
    BenchFlags,
)
from streamcli.bench.report import json_lines
from streamcli.capped import PROMPT_LIMIT, read_capped
from streamcli.env import Environment
from streamcli.errors import BadInput, StreamcliError

DEFAULT_PROMPT = (
    "Write a short story, about 300 words, about a lighthouse keeper who finds a message "
    "in a bottle."
)
DEFAULT_MAX_TOKENS = 256
DEFAULT_REQUESTS = 20


def run_bench(flags: BenchFlags, env: Environment) -> int:
    """Run the mode the flags ask for; return the exit status."""
    try:
        if flags.compare is not None:
            return _compare(flags, env)
        _check_mode(flags)
        if flags.worker:
            from streamcli.bench.distributed import run_worker

            return run_worker(flags, env)
        if flags.endpoint:
            return _endpoint(flags, env)
        return _pipeline(flags, env)
    except StreamcliError as exc:
        _fail(env, flags, exc)
        return exc.exit_code
    except KeyboardInterrupt:
        return errors.INTERRUPTED


def _check_mode(flags: BenchFlags) -> None:
    from streamcli.bench.distributed import check

    check(flags)
    if flags.worker:
        return
    wrong = PIPELINE_ONLY if flags.endpoint else ENDPOINT_ONLY
    given = [name for name in wrong if getattr(flags, name) is not None]
    if given:
        option = "--" + given[0].replace("_", "-")
        if flags.endpoint:
            raise BadInput(f"{option} is for pipeline mode (without --url/--provider/--model)")
        raise BadInput(f"{option} measures an endpoint: give --url (and --provider, --model)")


def _fail(env: Environment, flags: BenchFlags, exc: StreamcliError) -> None:
    """One line on stderr, and an `error` event on stdout with --json."""
    errors.report(env.stderr, exc.message)
    if flags.json:
        json_lines(env.stdout, [events.error(0.0, exc.kind, exc.message)])


def _save(path: Path | None, items: list[dict[str, Any]]) -> None:
    if path is None:
        return
    try:
        with open(path, "wb") as f:
            json_lines(f, items)
    except OSError as exc:
        raise StreamcliError(
            f"cannot write {path}: {exc.strerror or exc}", kind="save", status=None
        ) from None


# -- pipeline mode ------------------------------------------------------------------


def _pipeline(flags: BenchFlags, env: Environment) -> int:
    from streamcli.bench.pipeline_mode import run_sink
    from streamcli.bench.progress import display
    from streamcli.bench.report import show_pipeline, sink_item
    from streamcli.bench.synthetic import ChunkSizes, SyntheticConfig

    config = SyntheticConfig(
        chunks=flags.chunks if flags.chunks is not None else SyntheticConfig.chunks,
        sizes=ChunkSizes.parse(flags.chunk_size or "16"),
        rate=flags.rate,
        content=flags.content or "text",
        seed=flags.seed,
    )
    chosen = flags.sink or "all"
    sinks = SINKS if chosen == "all" else (chosen,)
    runs = []
    status = errors.OK
    with display(env) as progress:
        for kind in sinks:
            bar = progress.bar(f"{kind:<9}", config.chunks, "chunks")
            run = run_sink(kind, config, on_frame=bar.update)
            runs.append(run)
            if run.status != errors.OK:
                status = run.status
                break
    items = [sink_item(run) for run in runs]
    header = {
        "type": "bench_run",
        "t": 0.0,
        "mode": "pipeline",
        "sinks": list(sinks),
        "chunks": config.chunks,
        "chunk_size": str(config.sizes),
        "rate": config.rate,
        "content": config.content,
        "seed": config.seed,
    }
    _save(flags.save, [header, *items])
    if flags.json:
        json_lines(env.stdout, items)
    elif runs:
        show_pipeline(env, runs)
    return status


# -- endpoint mode ------------------------------------------------------------------


def _endpoint(flags: BenchFlags, env: Environment) -> int:
    from streamcli.bench.endpoint_mode import LoadOptions, Slo, run_endpoint
    from streamcli.bench.progress import LiveFigures, display

    slo = Slo.parse(flags.slo) if flags.slo is not None else None
    provider, request, connect_timeout = _endpoint_request(flags, env)
    load = LoadOptions(
        requests=flags.requests if flags.requests is not None else DEFAULT_REQUESTS,
        concurrency=flags.concurrency,
        rate=flags.rate,
        seed=flags.seed,
        warmup=flags.warmup or 0,
        timeout=flags.timeout if flags.timeout is not None else LoadOptions.timeout,
        connect_timeout=connect_timeout,
    )
    if flags.distributed:
        from streamcli.bench.distributed import ready, run_spread

        request = ready(provider, request, load)
    with display(env) as progress:
        bar = progress.bar("requests", load.requests, "")
        done = [0]
        live = LiveFigures()

        def on_done(record: Any) -> None:
            done[0] += 1
            bar.update(done[0], unit=live.add(record))

        if flags.distributed:
            run = run_spread(flags, provider, request, load, progress, on_done)
        else:
            run = run_endpoint(provider, request, load, on_done=on_done)
    return _report(flags, env, run, slo)


def _report(flags: BenchFlags, env: Environment, run: Any, slo: Any) -> int:
    """Summarise a run's records; save, print and judge them."""
    from streamcli.bench.endpoint_mode import summarize
    from streamcli.bench.saturation import saturated, warning

    summary = summarize(run.records, slo)
    header = run.header()
    header["timestamps"] = summary["timestamps"] = run.timestamps
    summary["t"] = _last_done(run)
    for key in ("provider", "model", "url"):
        summary[key] = header[key]
    if "workers" in header:
        summary["workers"] = header["workers"]
    summary["saturated"] = saturated(summary)
    cancelled = sum(1 for r in run.records if r.cancelled)
    if cancelled:
        summary["interrupted"] = cancelled
    failure = _all_failed(summary)
    items = [header, *(r.to_json(run.origin) for r in run.records if r.done is not None)]
    _save(flags.save, [*items, summary])
    if flags.json:
        for message in _lost(summary):
            items.append(events.error(summary["t"], "worker", message))
        if failure is not None:
            items.append(events.error(summary["t"], failure.kind, failure.message))
        json_lines(env.stdout, [*items, summary])
    else:
        from streamcli.bench.report import show_endpoint

        show_endpoint(env, summary, header, run.records)
    late = warning(summary, spread="workers" in header)
    if late:
        env.stderr.write(f"streamcli: warning: {late}\n")
    if failure is not None:
        errors.report(env.stderr, failure.message)
    if run.status != errors.OK:
        return run.status
    return errors.FAILURE if failure is not None else errors.OK


def _endpoint_request(flags: BenchFlags, env: Environment) -> tuple[Any, Any, float]:
    """The provider, the request every run sends, and the connect timeout, as `chat`
    settles them (flags, environment, config file)."""
    from streamcli.config import load_config
    from streamcli.sources.chat.settings import ChatFlags, chat_request, resolve

    if flags.provider is not None and flags.provider not in BENCH_PROVIDERS:
        raise BadInput(f"--provider: bench measures {', '.join(BENCH_PROVIDERS)} endpoints")
    chat_flags = ChatFlags(
        provider=flags.provider, model=flags.model, base_url=flags.url, max_tokens=flags.max_tokens
    )
    settings = resolve(chat_flags, env.environ, load_config(env.environ), url_flag="--url")
    if settings.provider is None:  # the local model, from STREAMCLI_PROVIDER or the config
        raise BadInput(
            f"bench measures HTTP endpoints: choose --provider {' or '.join(BENCH_PROVIDERS)}"
        )
    if settings.max_tokens is None:
        settings.max_tokens = DEFAULT_MAX_TOKENS
    request = chat_request(settings, _prompt(flags))
    return settings.provider, request, settings.limits.connect_timeout


def _all_failed(summary: dict[str, Any]) -> StreamcliError | None:
    """The run's failure when not one request succeeded."""
    if not summary["requests"] or summary["completed"]:
        return None
    first = summary.get("first_error") or {}
    return StreamcliError(
        f"all {summary['requests']} requests failed; the first: "
        f"{first.get('message', 'unknown error')}",
        kind=str(first.get("kind", "bench")),
    )


def _lost(summary: dict[str, Any]) -> list[str]:
    """What became of each worker lost during the run (named once on stderr already)."""
    return [
        f"worker {w['worker']} ({w['host']}, pid {w['pid']}) {w['lost']} after "
        f"{w['records']} requests; the records it sent are kept"
        for w in summary.get("workers") or ()
        if w.get("lost")
    ]


def _last_done(run: Any) -> float:
    """When the last request was over, in seconds since the run's start."""
    done = [r.done for r in run.records if r.done is not None]
    return round(max(done) - run.origin, 6) if done else 0.0


def _prompt(flags: BenchFlags) -> str:
    if flags.prompt is not None and flags.prompt_file is not None:
        raise BadInput("give --prompt or --prompt-file, not both")
    if flags.prompt_file is not None:
        try:
            what = f"the prompt file {flags.prompt_file}"
            text = read_capped(flags.prompt_file, PROMPT_LIMIT, what).decode("utf-8", "replace")
        except OSError as exc:
            raise BadInput(
                f"cannot read the prompt file {flags.prompt_file}: {exc.strerror or exc}"
            ) from None
        if not text.strip():
            raise BadInput(f"the prompt file {flags.prompt_file} is empty")
        return text
    if flags.prompt is not None:
        if not flags.prompt.strip():
            raise BadInput("--prompt is empty")
        return flags.prompt
    return DEFAULT_PROMPT


# -- comparing ----------------------------------------------------------------------


def _compare(flags: BenchFlags, env: Environment) -> int:
    from streamcli.bench.report import ENDPOINT_ROWS, compare_table, pipeline_rows, show
    from streamcli.bench.saved import load_saved

    assert flags.compare is not None
    left, right = (load_saved(path) for path in flags.compare)
    if left.mode != right.mode:
        raise BadInput(
            f"cannot compare a {left.mode} run ({left.path}) with a {right.mode} run ({right.path})"
        )
    a, b = left.figures(), right.figures()
    if flags.json:
        json_lines(
            env.stdout,
            [{"type": "bench_compare", "t": 0.0, "mode": left.mode, "a": a, "b": b}],
        )
        return errors.OK
    if left.mode == "pipeline":
        sinks = [sink for sink in a if sink in b] or list(a)
        rows = pipeline_rows(sinks)
    else:
        rows = list(ENDPOINT_ROWS)
    names = (Path(left.path).name, Path(right.path).name)
    if names[0] == names[1]:
        names = (left.path, right.path)
    show(env, compare_table(a, b, names, rows))
    return errors.OK
