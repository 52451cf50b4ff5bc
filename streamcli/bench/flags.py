"""What `streamcli bench`'s command line says, each flag spelled once (the fields carry
their Typer options, see `cli.py`), and the sinks and contents it measures. Imported at
start-up."""

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, get_args

from streamcli.options import MAX_SECONDS, MAX_SEED, MAX_TOKENS, Option
from streamcli.providers import HTTP_PROVIDERS
from streamcli.sinks import JsonFlag

SinkName = Literal["terminal", "text", "jsonl"]
SINKS: tuple[str, ...] = get_args(SinkName)  # the sinks pipeline mode measures
ContentName = Literal["text", "markdown", "log"]
CONTENTS: tuple[str, ...] = get_args(ContentName)  # what the synthetic chunks hold
BENCH_PROVIDERS: tuple[str, ...] = tuple(HTTP_PROVIDERS)  # endpoint mode speaks HTTP
ENDPOINT_ONLY = ("requests", "concurrency", "warmup", "prompt", "prompt_file", "slo", "timeout")
PIPELINE_ONLY = ("sink", "chunks", "chunk_size", "content")
# spreading an endpoint run over worker processes, on Locust (names as Locust spells them)
MASTER_ONLY = ("expect_workers", "master_bind_host", "master_bind_port")
WORKER_ONLY = ("master_host", "master_port")
MAX_CHUNKS = 1_000_000_000  # pipeline mode's chunks (generated as they are sent)
MAX_REQUESTS = 1_000_000  # endpoint mode's requests (a record of each is kept)
MAX_CONCURRENCY = 100_000
MAX_PROCESSES = 1024


@dataclass
class BenchFlags:
    """What the command line said (None: not given)."""

    sink: Annotated[
        Literal[SinkName, "all"] | None,
        Option(help="Pipeline: the sink to measure (default: all).", show_default=False),
    ] = None
    chunks: Annotated[
        int | None,
        Option(
            min=1, max=MAX_CHUNKS, metavar="N", help="Pipeline: chunks to send (default 100000)."
        ),
    ] = None
    chunk_size: Annotated[
        str | None,
        Option("--chunk-size", metavar="BYTES", help="Pipeline: bytes per chunk, or MIN-MAX (16)."),
    ] = None
    rate: Annotated[
        float | None,
        Option(
            min=0.001,
            max=1_000_000_000,
            metavar="R",
            help="Pipeline: chunks/s (default: flood). Endpoint: requests/s, Poisson arrivals.",
        ),
    ] = None
    content: Annotated[
        ContentName | None,
        Option(help="Pipeline: what the chunks hold (default: text).", show_default=False),
    ] = None
    seed: Annotated[
        int,
        Option(
            min=0, max=MAX_SEED, metavar="N", help="Seed for chunk sizes, content and arrivals."
        ),
    ] = 0
    url: Annotated[
        str | None,
        Option("--url", "--base-url", metavar="URL", help="Endpoint: the server's base URL."),
    ] = None
    provider: Annotated[
        str | None,
        Option(
            "--provider",
            "-p",
            choices=BENCH_PROVIDERS,
            help="Endpoint: the API to speak.",
            show_default=False,
        ),
    ] = None
    model: Annotated[
        str | None,
        Option("--model", "-m", metavar="NAME", help="Endpoint: the model."),
    ] = None
    requests: Annotated[
        int | None,
        Option(
            min=1, max=MAX_REQUESTS, metavar="N", help="Endpoint: requests to measure (default 20)."
        ),
    ] = None
    concurrency: Annotated[
        int | None,
        Option(
            min=1,
            max=MAX_CONCURRENCY,
            metavar="C",
            help="Endpoint: requests in flight (closed loop, default 1); with --rate, a cap.",
        ),
    ] = None
    warmup: Annotated[
        int | None,
        Option(
            min=0, max=MAX_REQUESTS, metavar="K", help="Endpoint: K requests first, not counted."
        ),
    ] = None
    prompt: Annotated[
        str | None, Option(metavar="TEXT", help="Endpoint: the prompt of every request.")
    ] = None
    prompt_file: Annotated[
        Path | None,
        Option("--prompt-file", metavar="FILE", dir_okay=False, help="Endpoint: read the prompt."),
    ] = None
    max_tokens: Annotated[
        int | None,
        Option(
            "--max-tokens",
            min=1,
            max=MAX_TOKENS,
            metavar="N",
            help="Endpoint: tokens per answer (256).",
        ),
    ] = None
    slo: Annotated[
        str | None,
        Option(metavar="ttft=MS,tpot=MS,e2e=MS", help="Endpoint: objectives for goodput."),
    ] = None
    timeout: Annotated[
        float | None,
        Option(
            min=0.001,
            max=MAX_SECONDS,
            metavar="SECONDS",
            help="Endpoint: fail a request silent this long (120).",
        ),
    ] = None
    save: Annotated[
        Path | None,
        Option(
            "--save", metavar="FILE", dir_okay=False, help="Save the raw results as JSON lines."
        ),
    ] = None
    compare: Annotated[
        tuple[str, str] | None,
        Option("--compare", metavar="A B", help="Show two files saved with --save side by side."),
    ] = None
    processes: Annotated[
        int | None,
        Option(
            min=1,
            max=MAX_PROCESSES,
            metavar="N",
            help="Endpoint: spread the run over N worker processes (Locust; the locust extra).",
        ),
    ] = None
    master: Annotated[
        bool,
        Option("--master", help="Endpoint: lead workers on other machines (Locust's master)."),
    ] = False
    expect_workers: Annotated[
        int | None,
        Option(
            "--expect-workers",
            min=1,
            max=MAX_PROCESSES,
            metavar="K",
            help="--master: wait for K workers (1).",
        ),
    ] = None
    master_bind_host: Annotated[
        str | None,
        Option(
            "--master-bind-host", metavar="HOST", help="--master: the interface to listen on (*)."
        ),
    ] = None
    master_bind_port: Annotated[
        int | None,
        Option(
            "--master-bind-port",
            min=1,
            max=65535,
            metavar="PORT",
            help="--master: the port workers connect to (5557).",
        ),
    ] = None
    worker: Annotated[
        bool,
        Option("--worker", help="Send a --master's requests from this machine (Locust)."),
    ] = False
    master_host: Annotated[
        str | None,
        Option("--master-host", metavar="HOST", help="--worker: the master (127.0.0.1)."),
    ] = None
    master_port: Annotated[
        int | None,
        Option(
            "--master-port",
            min=1,
            max=65535,
            metavar="PORT",
            help="--worker: the master's port (5557).",
        ),
    ] = None
    web_port: Annotated[
        int | None,
        Option(
            "--web-port",
            min=1,
            max=65535,
            metavar="PORT",
            help="--processes/--master: Locust's web UI, live charts, on 127.0.0.1:PORT.",
        ),
    ] = None
    json: JsonFlag = False

    @property
    def endpoint(self) -> bool:
        return any(v is not None for v in (self.url, self.provider, self.model))

    @property
    def distributed(self) -> bool:
        """Spread over worker processes: here (`--processes`) or elsewhere (`--master`)."""
        return self.processes is not None or self.master
