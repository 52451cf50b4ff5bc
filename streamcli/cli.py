"""The command line: options → (source, sink) → run. No logic of its own.

Imports of everything but Typer happen inside the commands, so `--help` and `--version`
start fast.
"""

import enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from streamcli import __version__

if TYPE_CHECKING:
    from streamcli.pipeline import Source
    from streamcli.sinks.base import Sink

app = typer.Typer(
    name="streamcli",
    help="Watch streams in a terminal and pipe them onward.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,  # locals may hold API keys
    # Plain help: Typer's rich help imports rich.markdown and Pygments, which `--help`
    # does not need (start-up time).
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Output options shared by every subcommand that streams.
JsonOption = Annotated[bool, typer.Option("--json", help="Write JSON lines, one event per line.")]
PlainOption = Annotated[
    bool, typer.Option("--plain", help="Plain text output, even on a terminal.")
]
RawOption = Annotated[
    bool,
    typer.Option("--raw", help="Write text to a terminal without sanitizing control characters."),
]
RecordOption = Annotated[
    Path | None,
    typer.Option(
        "--record", metavar="FILE", dir_okay=False, help="Also save the events as JSON lines."
    ),
]
StatsOption = Annotated[
    bool,
    typer.Option(
        "--stats",
        help="Time to first token, tokens, tokens/s: live on a terminal, one line on stderr "
        "at the end.",
    ),
]
HideReasoningOption = Annotated[
    bool, typer.Option("--hide-reasoning", help="Terminal: do not show the model's reasoning.")
]
NoCursorOption = Annotated[
    bool, typer.Option("--no-cursor", help="Terminal: no cursor glyph after the live text.")
]


class ReplayFormat(str, enum.Enum):
    auto = "auto"
    events = "events"
    asciicast = "asciicast"
    text = "text"


class ChatProvider(str, enum.Enum):
    ollama = "ollama"
    openai = "openai"
    anthropic = "anthropic"
    local = "local"


class BenchSink(str, enum.Enum):
    terminal = "terminal"
    text = "text"
    jsonl = "jsonl"
    all = "all"


class BenchContent(str, enum.Enum):
    text = "text"
    markdown = "markdown"
    log = "log"


class BenchProvider(str, enum.Enum):
    ollama = "ollama"
    openai = "openai"
    anthropic = "anthropic"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"streamcli {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Watch streams in a terminal and pipe them onward."""


@app.command()
def chat(
    prompt: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="PROMPT",
            help="The question (words are joined). Text piped on stdin is sent before it.",
            show_default=False,
        ),
    ] = None,
    system: Annotated[
        str | None, typer.Option("--system", "-s", metavar="TEXT", help="The system prompt.")
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            "-m",
            metavar="NAME",
            help="The model (default: the server's only one); local: a GGUF file "
            "(default: the bundled Gemma 3 270M).",
        ),
    ] = None,
    provider: Annotated[
        ChatProvider | None,
        typer.Option(
            "--provider",
            "-p",
            help="The API to speak, or local: a GGUF model in this process (default: guessed "
            "from the environment).",
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            metavar="URL",
            help="The server (default: OLLAMA_HOST, OPENAI_BASE_URL or ANTHROPIC_BASE_URL).",
        ),
    ] = None,
    temperature: Annotated[
        float | None,
        typer.Option(min=0, metavar="NUMBER", help="Sampling temperature (0: deterministic)."),
    ] = None,
    max_tokens: Annotated[
        int | None,
        typer.Option("--max-tokens", min=1, metavar="N", help="Stop the answer after N tokens."),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed",
            min=0,
            metavar="N",
            help="Sampling seed: the same answer again (local, Ollama, OpenAI-compatible).",
        ),
    ] = None,
    no_stream: Annotated[
        bool, typer.Option("--no-stream", help="Ask for the whole answer at once.")
    ] = False,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            min=0.001,
            metavar="SECONDS",
            help="End an answer that sends nothing new for SECONDS (default 60).",
        ),
    ] = None,
    first_token_timeout: Annotated[
        float | None,
        typer.Option(
            "--first-token-timeout",
            min=0.001,
            metavar="SECONDS",
            help="Give up when the answer has not started after SECONDS (default 300).",
        ),
    ] = None,
    retries: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=10,
            metavar="N",
            help="Retries of a failed request before the first token (default 2).",
        ),
    ] = None,
    key_file: Annotated[
        Path | None,
        typer.Option(
            "--key-file",
            metavar="FILE",
            dir_okay=False,
            help="Read the API key from FILE (readable by you alone).",
        ),
    ] = None,
    tool: Annotated[
        list[str] | None,
        typer.Option(
            "--tool",
            "-T",
            metavar="NAME",
            help="Offer the tool NAME to the model (repeatable): time, read_file, list_dir, "
            "or one from the tools file.",
            show_default=False,
        ),
    ] = None,
    tools_file: Annotated[
        Path | None,
        typer.Option(
            "--tools",
            metavar="FILE",
            dir_okay=False,
            help="The user tools' TOML file (default: $XDG_CONFIG_HOME/streamcli/tools.toml).",
        ),
    ] = None,
    approve: Annotated[
        bool,
        typer.Option("--approve", help="Run user tools without asking before each call."),
    ] = False,
    tool_timeout: Annotated[
        float | None,
        typer.Option(
            "--tool-timeout",
            min=0.001,
            metavar="SECONDS",
            help="Kill a tool call (and its children) after SECONDS (default 60).",
        ),
    ] = None,
    max_tool_rounds: Annotated[
        int | None,
        typer.Option(
            "--max-tool-rounds",
            min=0,
            metavar="N",
            help="At most N rounds of tool calls per answer (default 5).",
        ),
    ] = None,
    continue_last: Annotated[
        bool,
        typer.Option("--continue", "-c", help="Continue the most recent conversation."),
    ] = False,
    conversation: Annotated[
        int | None,
        typer.Option("--conversation", min=1, metavar="ID", help="Continue the conversation ID."),
    ] = None,
    no_history: Annotated[
        bool, typer.Option("--no-history", help="Do not save this exchange in the history.")
    ] = False,
    stats: StatsOption = False,
    hide_reasoning: HideReasoningOption = False,
    no_cursor: NoCursorOption = False,
    json_output: JsonOption = False,
    plain: PlainOption = False,
    raw: RawOption = False,
    record: RecordOption = None,
) -> NoReturn:
    """Ask a model (Ollama, OpenAI-compatible, Anthropic or local) and stream its answer."""
    from streamcli.env import Environment
    from streamcli.errors import StreamcliError
    from streamcli.run import FailedSource, run_stream
    from streamcli.sinks import OutputOptions
    from streamcli.sources.chat.command import ChatFlags, open_chat_command

    env = Environment.from_process()
    flags = ChatFlags(
        provider=provider.value if provider else None,
        model=model,
        base_url=base_url,
        system=system,
        temperature=temperature,
        max_tokens=max_tokens,
        timeout=timeout,
        first_token_timeout=first_token_timeout,
        retries=retries,
        key_file=key_file,
        stream=not no_stream,
        seed=seed,
        tools=tool or [],
        tools_file=tools_file,
        approve=approve,
        tool_timeout=tool_timeout,
        max_tool_rounds=max_tool_rounds,
        continue_last=continue_last,
        conversation=conversation,
        no_history=no_history,
    )
    source: Source
    taps: list[Sink] = []
    try:
        source, taps = open_chat_command(flags, prompt or [], env)
    except StreamcliError as exc:
        source = FailedSource("chat", exc)
    except KeyboardInterrupt:  # while a local model was being prepared or loaded
        raise typer.Exit(130) from None
    output = OutputOptions(
        json=json_output,
        plain=plain,
        raw=raw,
        stats=stats,
        hide_reasoning=hide_reasoning,
        no_cursor=no_cursor,
    )
    raise typer.Exit(run_stream(source, env, output, record=record, taps=taps))


@app.command()
def replay(
    file: Annotated[
        str,
        typer.Argument(
            metavar="FILE",
            help="A streamcli recording, an asciicast (v2/v3) or plain text; - for stdin.",
        ),
    ],
    speed: Annotated[
        float, typer.Option(min=0, help="Playback speed multiplier; 0 plays without delays.")
    ] = 1.0,
    idle_limit: Annotated[
        float | None,
        typer.Option("--idle-limit", min=0, metavar="SECONDS", help="Cap every pause at SECONDS."),
    ] = None,
    lenient: Annotated[
        bool, typer.Option("--lenient", help="Skip malformed lines with a notice.")
    ] = False,
    format: Annotated[
        ReplayFormat, typer.Option("--format", help="The input format (auto: recognise it).")
    ] = ReplayFormat.auto,
    chunk_size: Annotated[
        int,
        typer.Option(
            "--chunk-size", min=1, metavar="N", help="Plain text: N characters per chunk."
        ),
    ] = 3,
    delay: Annotated[
        float, typer.Option("--delay", min=0, metavar="MS", help="Plain text: MS between chunks.")
    ] = 20.0,
    unsafe: Annotated[
        bool,
        typer.Option("--unsafe", help="asciicast: keep every escape sequence as recorded."),
    ] = False,
    json_output: JsonOption = False,
    plain: PlainOption = False,
    raw: RawOption = False,
    record: RecordOption = None,
    stats: StatsOption = False,
    hide_reasoning: HideReasoningOption = False,
    no_cursor: NoCursorOption = False,
) -> NoReturn:
    """Play a recorded stream back with its timing."""
    from streamcli.env import Environment
    from streamcli.errors import StreamcliError
    from streamcli.run import FailedSource, run_stream
    from streamcli.sinks import OutputOptions
    from streamcli.sources.replay.source import ReplayOptions, open_replay

    env = Environment.from_process()
    options = ReplayOptions(speed, idle_limit, lenient, format.value, chunk_size, delay)
    source: Source
    try:
        source = open_replay(file, env.stdin, options)
    except StreamcliError as exc:
        source = FailedSource("replay", exc)
    output = OutputOptions(
        json=json_output,
        plain=plain,
        raw=raw,
        unsafe=unsafe,
        stats=stats,
        hide_reasoning=hide_reasoning,
        no_cursor=no_cursor,
    )
    status = run_stream(
        source,
        env,
        output,
        record=record,
        terminal_output=getattr(source, "format", None) == "asciicast",
    )
    raise typer.Exit(status)


@app.command()
def tail(
    files: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="FILE",
            show_default=False,
            help="Files to follow by name; - (the default) for stdin.",
        ),
    ] = None,
    lines: Annotated[
        str,
        typer.Option(
            "--lines", "-n", metavar="N", help="Start with the last N lines; +N: from line N."
        ),
    ] = "10",
    no_follow: Annotated[
        bool, typer.Option("--no-follow", help="Print the lines and exit instead of following.")
    ] = False,
    follow: Annotated[
        bool,
        typer.Option("--follow", "-f", "-F", help="Follow by name through rotation (the default)."),
    ] = True,
    grep: Annotated[
        list[str] | None,
        typer.Option(
            "--grep", "-g", metavar="REGEX", help="Only lines matching REGEX (repeatable: any)."
        ),
    ] = None,
    invert: Annotated[
        bool, typer.Option("--invert", help="Only lines matching no --grep pattern.")
    ] = False,
    ignore_case: Annotated[
        bool, typer.Option("--ignore-case", "-i", help="--grep ignores case.")
    ] = False,
    pid: Annotated[
        int | None,
        typer.Option("--pid", min=1, metavar="PID", help="Stop when process PID has ended."),
    ] = None,
    poll: Annotated[
        bool, typer.Option("--poll", help="Poll for changes instead of kernel notifications.")
    ] = False,
    poll_interval: Annotated[
        float,
        typer.Option(
            "--poll-interval", min=0.001, metavar="SECONDS", help="How often --poll looks."
        ),
    ] = 0.25,
    prefix: Annotated[
        bool, typer.Option("--prefix", help="Start every line with its file's name.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No ==> file <== headers for several files.")
    ] = False,
    json_output: JsonOption = False,
    plain: PlainOption = False,
    raw: RawOption = False,
    record: RecordOption = None,
) -> NoReturn:
    """Follow log files like tail -F: through rotation and truncation, losing nothing."""
    from streamcli.env import Environment
    from streamcli.errors import BadInput, StreamcliError
    from streamcli.run import FailedSource, run_stream
    from streamcli.sinks import OutputOptions
    from streamcli.sources.tail import StartAt, TailOptions, TailSource

    try:
        start_at = StartAt.parse(lines)
    except BadInput as exc:
        raise typer.BadParameter(exc.message, param_hint="'-n' / '--lines'") from None
    env = Environment.from_process()
    files = files or ["-"]
    options = TailOptions(
        files=files,
        start_at=start_at,
        follow=not no_follow,
        grep=grep or [],
        invert=invert,
        ignore_case=ignore_case,
        pid=pid,
        poll=poll,
        poll_interval=poll_interval,
    )
    source: Source
    try:
        source = TailSource(options, stdin_fd=env.stdin.fileno(), stdout_fd=env.stdout.fileno())
    except StreamcliError as exc:
        source = FailedSource("tail", exc)
    output = OutputOptions(
        json=json_output,
        plain=plain,
        raw=raw,
        line_labels="prefix" if prefix else "header" if len(files) > 1 and not quiet else "none",
    )
    raise typer.Exit(run_stream(source, env, output, record=record))


@app.command()
def bench(
    sink: Annotated[
        BenchSink | None,
        typer.Option(help="Pipeline: the sink to measure (default: all).", show_default=False),
    ] = None,
    chunks: Annotated[
        int | None,
        typer.Option(min=1, metavar="N", help="Pipeline: chunks to send (default 100000)."),
    ] = None,
    chunk_size: Annotated[
        str | None,
        typer.Option(
            "--chunk-size", metavar="BYTES", help="Pipeline: bytes per chunk, or MIN-MAX (16)."
        ),
    ] = None,
    rate: Annotated[
        float | None,
        typer.Option(
            min=0.001,
            metavar="R",
            help="Pipeline: chunks/s (default: flood). Endpoint: requests/s, Poisson arrivals.",
        ),
    ] = None,
    content: Annotated[
        BenchContent | None,
        typer.Option(help="Pipeline: what the chunks hold (default: text).", show_default=False),
    ] = None,
    seed: Annotated[
        int, typer.Option(metavar="N", help="Seed for chunk sizes, content and arrivals.")
    ] = 0,
    url: Annotated[
        str | None,
        typer.Option("--url", "--base-url", metavar="URL", help="Endpoint: the server's base URL."),
    ] = None,
    provider: Annotated[
        BenchProvider | None,
        typer.Option("--provider", "-p", help="Endpoint: the API to speak.", show_default=False),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option("--model", "-m", metavar="NAME", help="Endpoint: the model."),
    ] = None,
    requests: Annotated[
        int | None,
        typer.Option(min=1, metavar="N", help="Endpoint: requests to measure (default 20)."),
    ] = None,
    concurrency: Annotated[
        int | None,
        typer.Option(
            min=1,
            metavar="C",
            help="Endpoint: requests in flight (closed loop, default 1); with --rate, a cap.",
        ),
    ] = None,
    warmup: Annotated[
        int | None,
        typer.Option(min=0, metavar="K", help="Endpoint: K requests first, not counted."),
    ] = None,
    prompt: Annotated[
        str | None, typer.Option(metavar="TEXT", help="Endpoint: the prompt of every request.")
    ] = None,
    prompt_file: Annotated[
        Path | None,
        typer.Option(
            "--prompt-file", metavar="FILE", dir_okay=False, help="Endpoint: read the prompt."
        ),
    ] = None,
    max_tokens: Annotated[
        int | None,
        typer.Option("--max-tokens", min=1, metavar="N", help="Endpoint: tokens per answer (256)."),
    ] = None,
    slo: Annotated[
        str | None,
        typer.Option(metavar="ttft=MS,tpot=MS,e2e=MS", help="Endpoint: objectives for goodput."),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            min=0.001, metavar="SECONDS", help="Endpoint: fail a request silent this long (120)."
        ),
    ] = None,
    save: Annotated[
        Path | None,
        typer.Option(
            "--save", metavar="FILE", dir_okay=False, help="Save the raw results as JSON lines."
        ),
    ] = None,
    compare: Annotated[
        tuple[str, str] | None,
        typer.Option(
            "--compare", metavar="A B", help="Show two files saved with --save side by side."
        ),
    ] = None,
    json_output: JsonOption = False,
) -> NoReturn:
    """Measure chunk throughput: of streamcli's pipeline, or of a live LLM endpoint."""
    from streamcli.bench.runner import BenchFlags, run_bench
    from streamcli.env import Environment

    flags = BenchFlags(
        sink=sink.value if sink else None,
        chunks=chunks,
        chunk_size=chunk_size,
        rate=rate,
        content=content.value if content else None,
        seed=seed,
        url=url,
        provider=provider.value if provider else None,
        model=model,
        requests=requests,
        concurrency=concurrency,
        warmup=warmup,
        prompt=prompt,
        prompt_file=prompt_file,
        max_tokens=max_tokens,
        slo=slo,
        timeout=timeout,
        json=json_output,
        save=save,
        compare=compare,
    )
    raise typer.Exit(run_bench(flags, Environment.from_process()))


@app.command()
def history(
    conversation: Annotated[
        int | None,
        typer.Argument(
            metavar="ID", help="Show this conversation (default: list them).", show_default=False
        ),
    ] = None,
    limit: Annotated[
        int,
        typer.Option(min=0, metavar="N", help="List the N most recent conversations (0: all)."),
    ] = 20,
    delete: Annotated[bool, typer.Option("--delete", help="Delete the conversation ID.")] = False,
    json_output: Annotated[
        bool,
        typer.Option("--json", help="Export as JSON lines: each conversation whole, one a line."),
    ] = False,
) -> NoReturn:
    """List, show, export or delete the saved chat conversations."""
    from streamcli.env import Environment
    from streamcli.history.view import HistoryRequest, run_history

    request = HistoryRequest(conversation, json_output, limit, delete)
    raise typer.Exit(run_history(request, Environment.from_process()))


def main() -> None:
    """The `streamcli` console script."""
    app(prog_name="streamcli")
