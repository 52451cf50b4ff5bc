"""`streamcli bench --processes N`, `--master` and `--worker`: an endpoint run spread over
worker processes, here or on other machines, on Locust (the optional `locust` extra).

This module checks the flags and imports Locust only once it is needed (the import
patches the process for gevent). The run itself: `locust_master` and `locust_worker`;
its records are merged (`merge`) and reported like any other endpoint run.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from typing import Any

from streamcli.bench.flags import MASTER_ONLY, WORKER_ONLY, BenchFlags
from streamcli.env import Environment
from streamcli.errors import BadInput

DEFAULT_PORT = 5557  # Locust's
WORKER_FLAGS = {"worker", *WORKER_ONLY}


def check(flags: BenchFlags) -> None:
    """The usage errors of these flags (the rest is `runner._check_mode`'s)."""
    if flags.worker:
        given = [
            f.name
            for f in dataclasses.fields(flags)
            if f.name not in WORKER_FLAGS and getattr(flags, f.name) != f.default
        ]
        if given:
            raise BadInput(
                f"{_option(given[0])} is for the master: a --worker takes the run from it"
            )
        return
    for name in WORKER_ONLY:
        if getattr(flags, name) is not None:
            raise BadInput(f"{_option(name)} is for a --worker")
    if flags.processes is not None and flags.master:
        raise BadInput("give --processes N (workers here) or --master (workers elsewhere)")
    if not flags.master:
        for name in MASTER_ONLY:
            if getattr(flags, name) is not None:
                raise BadInput(f"{_option(name)} is for --master")
    if flags.web_port is not None and not flags.distributed:
        raise BadInput("--web-port shows Locust's web UI: give --processes N or --master")
    if flags.distributed and not flags.endpoint:
        raise BadInput(f"{_option('processes' if flags.processes else 'master')} spreads an "
                       "endpoint run: give --url (and --provider, --model)")  # fmt: skip


def require_locust() -> None:
    """Import Locust (which patches this process for gevent), or say how to get it."""
    try:
        import locust  # noqa: F401
    except ImportError:
        raise BadInput(
            "runs over several processes need Locust: pip install 'streamcli[locust]'"
        ) from None


def ready(provider: Any, request: Any, load: Any) -> Any:
    """The request with its model (asked of the server now, before Locust takes over the
    process), with Locust imported: before any progress display starts its thread, so
    that every thread of the process is gevent's."""
    from streamcli.bench.endpoint_mode import choose_model
    from streamcli.bench.transport import Pool

    if request.model is None:

        async def ask() -> str:
            pool = Pool(time.monotonic, connect_timeout=load.connect_timeout)
            try:
                return await choose_model(pool, provider, load.timeout)
            finally:
                await pool.close()

        request = request.with_model(asyncio.run(ask()))
    require_locust()
    return request


def run_spread(
    flags: BenchFlags,
    provider: Any,
    request: Any,
    load: Any,
    display: Any,
    on_done: Callable[[Any], None],
) -> Any:
    """Measure with `--processes N` or `--master` (after `ready`); the merged run."""
    from streamcli.bench.locust_master import Cluster, Master
    from streamcli.bench.locust_messages import Setup

    cluster = Cluster(
        processes=flags.processes,
        expect_workers=flags.expect_workers or 1,
        bind_host=flags.master_bind_host or "*",
        bind_port=flags.master_bind_port or DEFAULT_PORT,
        web_port=flags.web_port,
    )
    setup = Setup.of(provider, request, load.timeout, load.connect_timeout)
    url = provider.chat_call(request).url
    return Master(cluster, setup, url, load, display, on_done).measure()


def run_worker(flags: BenchFlags, env: Environment) -> int:
    """`streamcli bench --worker`: send a master's requests until it says quit."""
    require_locust()
    from streamcli.bench.locust_worker import run_worker as work

    return work(flags.master_host or "127.0.0.1", flags.master_port or DEFAULT_PORT, env)


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")
