"""The command line: flags → (source, sink) → run. No logic of its own.

Each command's flags are spelled once, as the fields of a dataclass that carry their Typer
options (`ChatFlags`, `OutputOptions`, …). A command is a function that takes such
dataclasses; when it is first looked up, `_build` turns it into the parameters Typer reads
and hands it the dataclasses built from what was parsed. Nothing is built, and no flags
module imported, for `--version`; everything else is imported inside the commands, so
start-up stays fast.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import os
import sys
import typing
from collections.abc import Callable, Iterator, MutableMapping
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
import typer.core
import typer.main
import typer.models

from streamcli import __version__

if TYPE_CHECKING:
    from streamcli.bench.flags import BenchFlags
    from streamcli.history.flags import HistoryRequest
    from streamcli.serve.flags import ServeFlags
    from streamcli.sinks import OutputOptions
    from streamcli.sources.chat.flags import ChatFlags
    from streamcli.sources.replay.flags import ReplayOptions
    from streamcli.sources.tail.flags import TailOptions
    from streamcli.stream import Source
    from streamcli.tools.mcp.flags import McpRequest

COMMANDS: dict[str, Callable[..., NoReturn]] = {}  # by name, registered by `command`


class Only:
    """`Annotated[Options, Only("json", …)]`: a command offers only these of its fields."""

    def __init__(self, *names: str) -> None:
        self.names = names


def command(func: Callable[..., NoReturn]) -> Callable[..., NoReturn]:
    """Register `func` as the subcommand of its name (built when it is looked up)."""
    COMMANDS[func.__name__] = func
    return func


class _Commands(MutableMapping[str, Any]):
    """The subcommands by name, each built the first time it is looked up."""

    def __init__(self) -> None:
        self._built: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            info = typer.models.CommandInfo(name=name, callback=_build(COMMANDS[name]))
            built = typer.main.get_command_from_info(
                info, pretty_exceptions_short=True, rich_markup_mode=None
            )
            from streamcli.cli_usage import plain_metavars

            plain_metavars(built)
            self._built[name] = built
        return self._built[name]

    def __setitem__(self, name: str, value: Any) -> None:
        self._built[name] = value

    def __delitem__(self, name: str) -> None:
        del self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*COMMANDS, *self._built]))  # in the order registered

    def __len__(self) -> int:
        return len(dict.fromkeys([*COMMANDS, *self._built]))


class _Group(typer.core.TyperGroup):
    """streamcli's group: its subcommands are built on demand (`_Commands`)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.commands = _Commands()


app = typer.Typer(
    name="streamcli",
    cls=_Group,
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


def _build(func: Callable[..., NoReturn]) -> Callable[..., Any]:
    """The function Typer reads for `func`: each parameter of `func` annotated with a
    dataclass stands for that dataclass's fields that carry a Typer option or argument;
    `func` receives the dataclass built from them (fields not offered keep their
    defaults)."""
    names = {**globals(), **_flag_classes()}
    parameters: list[inspect.Parameter] = []
    groups: dict[str, tuple[Any, list[str]]] = {}
    for parameter in inspect.signature(func, globals=names, eval_str=True).parameters.values():
        hint = parameter.annotation
        cls, *extras = typing.get_args(hint) if typing.get_origin(hint) is Annotated else (hint,)
        if not dataclasses.is_dataclass(cls):
            parameters.append(parameter)
            continue
        only = next((extra.names for extra in extras if isinstance(extra, Only)), None)
        fields = _options(cls, only)
        groups[parameter.name] = (cls, [p.name for p in fields])
        parameters += fields
    if len({p.name for p in parameters}) != len(parameters):
        raise TypeError(f"{func.__name__}: two parameters share a name")

    @functools.wraps(func)
    def run(**values: Any) -> Any:
        for name in values:
            values[name] = _checked_text(values[name], name)
        for name, (cls, fields) in groups.items():
            values[name] = cls(**{field: values.pop(field) for field in fields})
        return func(**values)

    run.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in parameters}
    return run


def _flag_classes() -> dict[str, type]:
    """The dataclasses the commands take, imported only when a command is built."""
    from streamcli.bench.flags import BenchFlags
    from streamcli.history.flags import HistoryRequest
    from streamcli.serve.flags import ServeFlags
    from streamcli.sinks import OutputOptions
    from streamcli.sources.chat.flags import ChatFlags
    from streamcli.sources.replay.flags import ReplayOptions
    from streamcli.sources.tail.flags import TailOptions
    from streamcli.tools.mcp.flags import McpRequest

    classes = (
        ServeFlags,
        BenchFlags,
        HistoryRequest,
        OutputOptions,
        ChatFlags,
        ReplayOptions,
        TailOptions,
        McpRequest,
    )
    return {cls.__name__: cls for cls in classes}


def _options(cls: Any, only: tuple[str, ...] | None) -> list[inspect.Parameter]:
    """The fields of dataclass `cls` that carry an `Option` or an `Argument`, as keyword
    parameters annotated for Typer."""
    from streamcli.options import Argument, Option

    hints = inspect.get_annotations(cls, eval_str=True)
    parameters = []
    for field in dataclasses.fields(cls):
        hint = hints[field.name]
        spec = next(
            (m for m in getattr(hint, "__metadata__", ()) if isinstance(m, Option | Argument)),
            None,
        )
        if spec is None or (only is not None and field.name not in only):
            continue
        if field.default_factory is not dataclasses.MISSING:
            default = field.default_factory()
        else:
            default = field.default
        keyword = inspect.Parameter.KEYWORD_ONLY
        base = _choices(typing.get_args(hint)[0], spec.settings.get("choices"))
        annotation = Annotated[base, _typer_parameter(spec)]  # type: ignore[valid-type]
        parameters.append(
            inspect.Parameter(field.name, keyword, default=default, annotation=annotation)
        )
    return parameters


def _choices(base: Any, choices: tuple[str, ...] | None) -> Any:
    """The type Typer reads for a field of type `base`: a `Literal` of the option's
    `choices` when it has some (a `str` field; None stays allowed if it was)."""
    if choices is None:
        return base
    literal = typing.Literal[choices]  # type: ignore[valid-type]
    return literal | None if type(None) in typing.get_args(base) else literal


def _typer_parameter(spec: Any) -> Any:
    """The Typer parameter an `Option` or `Argument` describes. Its value is checked by
    the option (`Option.check`: the range, finite, valid text), then by its own check; a
    `BadValue` is Typer's usage error. The range is shown in the help, as Typer would."""
    from streamcli.options import Argument, BadValue

    settings = dict(spec.settings)
    settings.pop("choices", None)  # in the type (`_choices`)
    low, high = settings.pop("min", None), settings.pop("max", None)
    check = settings.get("callback")

    def callback(value: Any) -> Any:
        try:
            value = spec.check(value)
            return check(value) if check is not None else value
        except BadValue as exc:
            raise typer.BadParameter(str(exc)) from None

    settings["callback"] = callback
    if isinstance(spec, Argument):
        info = typer.Argument(**settings)
    else:
        info = typer.Option(*spec.names, **settings)
    info.value_range = (low, high)  # shown by `cli_usage.PlainOption`
    return info


def _checked_text(value: Any, name: str) -> Any:
    """A parameter's text that is not a flags dataclass's (`chat`'s PROMPT, `replay`'s
    FILE), checked as `Option.check` checks the others."""
    from streamcli.options import BadValue, Option

    try:
        return Option().check(value)
    except BadValue as exc:
        raise typer.BadParameter(str(exc), param_hint=name.upper()) from None


def _version(value: bool) -> None:
    if value:
        typer.echo(f"streamcli {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            callback=_version,
            is_eager=True,
            help="Show the version and exit.",
        ),
    ] = False,
) -> None:
    """Watch streams in a terminal and pipe them onward."""


@command
def chat(
    prompt: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="PROMPT",
            help="The question (words are joined). Text piped on stdin is sent before it.",
            show_default=False,
        ),
    ] = None,
    *,
    flags: ChatFlags,
    output: Annotated[
        OutputOptions,
        Only("json", "plain", "raw", "record", "stats", "hide_reasoning", "no_cursor"),
    ],
) -> NoReturn:
    """Ask a model (Ollama, OpenAI-compatible, Anthropic or local) and stream its answer;
    on a terminal without a prompt (or with -i), a session of questions and answers."""
    from streamcli.env import Environment
    from streamcli.interactive.start import wants_session
    from streamcli.signals import stop_signals_exit

    env = Environment.from_process()
    with stop_signals_exit():  # MCP servers are shut down however early it comes
        if wants_session(flags, prompt or [], env):
            from streamcli.interactive.loop import run_session

            raise typer.Exit(run_session(flags, prompt or [], env, output))
        from streamcli.run import run_chat

        status = run_chat(flags, prompt or [], env, output)
    raise typer.Exit(status)


@command
def replay(
    file: Annotated[
        str,
        typer.Argument(
            metavar="FILE",
            help="A streamcli recording, an asciicast (v2/v3) or plain text; - for stdin.",
        ),
    ],
    *,
    options: ReplayOptions,
    output: OutputOptions,
) -> NoReturn:
    """Play a recorded stream back with its timing."""
    from streamcli.env import Environment
    from streamcli.run import run_stream
    from streamcli.sources.replay.source import open_replay

    env = Environment.from_process()
    raise typer.Exit(
        run_stream("replay", lambda: open_replay(file, env.stdin, options), env, output)
    )


@command
def tail(
    *,
    options: TailOptions,
    output: Annotated[OutputOptions, Only("json", "plain", "raw", "record", "stats")],
) -> NoReturn:
    """Follow log files like tail -F: through rotation and truncation, losing nothing."""
    from streamcli.env import Environment
    from streamcli.run import run_stream
    from streamcli.sources.tail.source import TailSource

    env = Environment.from_process()

    def open_tail() -> Source:
        stdin_fd = None if env.stdin_closed else env.stdin.fileno()
        return TailSource(options, stdin_fd=stdin_fd, stdout_fd=env.stdout.fileno())

    raise typer.Exit(run_stream("tail", open_tail, env, output))


@command
def bench(*, flags: BenchFlags) -> NoReturn:
    """Measure chunk throughput: of streamcli's pipeline, or of a live LLM endpoint."""
    from streamcli.bench.runner import run_bench
    from streamcli.env import Environment

    raise typer.Exit(run_bench(flags, Environment.from_process()))


@command
def history(*, request: HistoryRequest) -> NoReturn:
    """List, show, export or delete the saved chat conversations."""
    from streamcli.env import Environment
    from streamcli.history.view import run_history

    raise typer.Exit(run_history(request, Environment.from_process()))


@command
def mcp(*, request: McpRequest) -> NoReturn:
    """List the configured MCP servers and their tools (starting each to ask it)."""
    from streamcli.env import Environment
    from streamcli.tools.mcp.listing import run_mcp

    raise typer.Exit(run_mcp(request, Environment.from_process()))


@command
def serve(
    *,
    options: ServeFlags,
    flags: Annotated[
        ChatFlags,
        Only(
            "provider",
            "base_url",
            "model",
            "system",
            "temperature",
            "max_tokens",
            "seed",
            "timeout",
            "first_token_timeout",
            "retries",
            "key_file",
            "tools",
            "tools_file",
            "mcp",
            "mcp_config",
            "approve",
            "tool_timeout",
            "max_tool_rounds",
            "no_history",
        ),
    ],
) -> NoReturn:
    """Serve chats, logs and recordings: a live page, streamcli's events over SSE, and an
    OpenAI-compatible API in front of any provider."""
    from streamcli.env import Environment
    from streamcli.serve.command import run_serve

    raise typer.Exit(run_serve(options, flags, Environment.from_process()))


def main() -> None:
    """The `streamcli` console script: a usage error is one line, in streamcli's words;
    so is a closed or failing standard stream (`stdio`)."""
    if not all(_is_open(fd) for fd in (0, 1, 2)):
        from streamcli.stdio import check_std_fds

        check_std_fds()
    try:
        _run_app()
    except OSError as exc:
        from streamcli.stdio import output_failed

        output_failed(exc)


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def _run_app() -> None:
    try:
        status = app(prog_name="streamcli", standalone_mode=False)
    except (Exception, typer.Abort) as exc:
        from streamcli.cli_usage import usage_status

        raise SystemExit(usage_status(exc)) from None
    status = status if isinstance(status, int) else 0
    errors = sys.modules.get("streamcli.errors")  # not imported by --version, --help
    if errors is not None:
        errors.exiting(status)  # for an exit that must skip the interpreter's teardown
    raise SystemExit(status)
