"""Generate shell completions (bash, zsh, fish), the man page and the reference pages in
docs/reference/ from the code (the Typer app; events, errors and docs_pages.py).

    python scripts/generate_docs.py          # write completions/, man/, docs/reference/
    python scripts/generate_docs.py --check  # exit 1 and name the stale files

The completions are static: they list the subcommands, their options, choices and which
arguments are files, so pressing Tab never starts Python.
"""

from __future__ import annotations

import sys
import typing
from dataclasses import dataclass
from pathlib import Path

import typer.main
from typer.core import TyperArgument, TyperOption

from streamcli import __version__, errors
from streamcli.cli import app

sys.path.insert(0, str(Path(__file__).resolve().parent))
import docs_pages

ROOT = Path(__file__).resolve().parent.parent
PROG = "streamcli"

EXAMPLES = [
    (
        "Ask the bundled model, in-process (the local extra):",
        'streamcli chat --provider local "What is the capital of France?"',
    ),
    (
        "Ask Ollama about a log, with the log piped in:",
        'tail -n 50 app.log | streamcli chat "What went wrong?"',
    ),
    (
        "Save a chat as JSON lines, then play it back:",
        'streamcli chat "hi" --json > s.jsonl; streamcli replay s.jsonl',
    ),
    (
        "Follow two logs through rotation, only the errors:",
        "streamcli tail -F app.log worker.log --grep ERROR",
    ),
    (
        "The last three matching lines, then stop:",
        "streamcli tail --no-follow -n 3 --grep ERROR app.log",
    ),
    ("Play an asciinema recording at double speed:", "streamcli replay --speed 2 demo.cast"),
    (
        "Measure a live endpoint's time to first token:",
        "streamcli bench --url http://localhost:8000/v1 --requests 20",
    ),
    ("Continue the last conversation:", 'streamcli chat -c "And in French?"'),
]


@dataclass
class Opt:
    names: list[str]  # e.g. ["-s", "--system"]
    help: str
    takes_value: bool
    choices: list[str] | None
    is_file: bool
    metavar: str
    default: str | None


@dataclass
class Arg:
    name: str
    help: str
    is_file: bool
    many: bool
    required: bool = True
    choices: list[str] | None = None  # an action, as `mcp list`

    def synopsis(self) -> str:
        """`NAME`, `NAME...`, or in brackets when it may be left out."""
        name = self.name + ("..." if self.many else "")
        return name if self.required else f"[{name}]"


@dataclass
class Command:
    name: str
    help: str
    options: list[Opt]
    arguments: list[Arg]


def _first_line(text: str | None) -> str:
    return (text or "").strip().split("\n\n")[0].replace("\n", " ")


def _annotation(param: TyperOption | TyperArgument) -> object:
    annotation = param.type_descriptor.annotation
    if typing.get_origin(annotation) is typing.Literal:
        return annotation
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    return args[0] if args else annotation


def _is_file(param: TyperOption | TyperArgument) -> bool:
    return _annotation(param) is Path or "FILE" in (param.metavar or "")


def _choices(param: TyperOption | TyperArgument) -> list[str] | None:
    annotation = _annotation(param)
    if typing.get_origin(annotation) is not typing.Literal:
        return None
    return [str(choice) for choice in typing.get_args(annotation)]


def _option(param: TyperOption) -> Opt:
    annotation = _annotation(param)
    is_enum = typing.get_origin(annotation) is typing.Literal
    choices = [str(choice) for choice in typing.get_args(annotation)] if is_enum else None
    default = None
    if not param.is_flag and param.default not in (None, "", (), []):
        value = param.default
        default = str(getattr(value, "value", value))
    type_name = "choice" if is_enum else getattr(annotation, "__name__", "value")
    names = {"str": "TEXT", "float": "NUMBER", "choice": (param.name or "value").upper()}
    metavar = param.metavar or names.get(type_name, type_name.upper())
    return Opt(
        names=sorted(param.opts, key=len) + list(param.secondary_opts),
        help=_first_line(param.help),
        takes_value=not param.is_flag,
        choices=choices,
        is_file=_is_file(param),
        metavar=metavar,
        default=default,
    )


def _command(name: str, command: typer.core.TyperCommand | typer.core.TyperGroup) -> Command:
    options = [_option(p) for p in command.params if isinstance(p, TyperOption)]
    options.append(Opt(["-h", "--help"], "Show the help and exit.", False, None, False, "", None))
    arguments = [
        Arg(
            name="|".join(_choices(p) or ()) or (p.metavar or p.name or "ARG").upper(),
            help=_first_line(p.help),
            is_file=_is_file(p),
            many=p.nargs == -1,
            required=p.required,
            choices=_choices(p),
        )
        for p in command.params
        if isinstance(p, TyperArgument)
    ]
    return Command(name, _first_line(command.help), options, arguments)


def load() -> tuple[Command, list[Command]]:
    """The top-level command and each subcommand, as plain data."""
    group = typer.main.get_command(app)
    top = _command(PROG, group)
    subcommands = [
        _command(name, cmd)
        for name, cmd in sorted(group.commands.items())  # type: ignore[attr-defined]
        if not cmd.hidden
    ]
    return top, subcommands


# -- bash ------------------------------------------------------------------------------


# Paths complete as paths: `-o filenames` makes readline add a slash (not a space) after a
# directory and quote what needs quoting.
BASH_FILES = 'compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur"))'


def bash(top: Command, subcommands: list[Command]) -> str:
    names = " ".join(c.name for c in subcommands)
    top_words = " ".join(n for o in top.options for n in o.names)
    lines = [
        f"# bash completion for {PROG}; generated by scripts/generate_docs.py, do not edit.",
        f"_{PROG}() {{",
        '    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"',
        '    local command="" i',
        "    for ((i = 1; i < COMP_CWORD; i++)); do",
        '        case "${COMP_WORDS[i]}" in -*) ;; *) command="${COMP_WORDS[i]}"; break ;; esac',
        "    done",
        '    case "$command" in',
        f'    "") COMPREPLY=($(compgen -W "{top_words} {names}" -- "$cur")) ;;',
    ]
    for command in subcommands:
        words = " ".join(n for o in command.options for n in o.names)
        lines.append(f"    {command.name})")
        lines.append('        case "$prev" in')
        for option in command.options:
            if not option.takes_value:
                continue
            pattern = "|".join(option.names)
            if option.choices:
                action = f'COMPREPLY=($(compgen -W "{" ".join(option.choices)}" -- "$cur"))'
            elif option.is_file:
                action = BASH_FILES
            else:
                action = "COMPREPLY=()"
            lines.append(f"        {pattern}) {action}; return ;;")
        lines.append("        esac")
        files = any(a.is_file for a in command.arguments)
        actions = [c for a in command.arguments for c in a.choices or ()]
        other = BASH_FILES if files else "COMPREPLY=()"
        if actions:
            other = f'COMPREPLY=($(compgen -W "{" ".join(actions)}" -- "$cur"))'
        lines.append(
            f'        if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "{words}" -- "$cur"));'
            f" else {other}; fi"
        )
        lines.append("        ;;")
    lines += ["    esac", "}", f"complete -o bashdefault -F _{PROG} {PROG}", ""]
    return "\n".join(lines)


# -- zsh -------------------------------------------------------------------------------


def _zsh_escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace("'", "'\\''")
        .replace("[", "\\[")
        .replace("]", "\\]")
        .replace(":", "\\:")
    )


def _zsh_option(option: Opt) -> str:
    help = _zsh_escape(option.help)
    if option.choices:
        value = f":{option.metavar.lower()}:({' '.join(option.choices)})"
    elif option.is_file:
        value = f":{option.metavar.lower()}:_files"
    elif option.takes_value:
        value = f":{option.metavar.lower()}: "
    else:
        value = ""
    if len(option.names) == 1:
        return f"'{option.names[0]}[{help}]{value}'"
    group = " ".join(option.names)
    names = ",".join(option.names)
    return f"'({group})'{{{names}}}'[{help}]{value}'"


def zsh(top: Command, subcommands: list[Command]) -> str:
    lines = [
        f"#compdef {PROG}",
        f"# zsh completion for {PROG}; generated by scripts/generate_docs.py, do not edit.",
        "",
        f"_{PROG}() {{",
        "    local curcontext=$curcontext state line",
        "    local -a commands",
        "    commands=(",
    ]
    lines += [f"        '{c.name}:{_zsh_escape(c.help)}'" for c in subcommands]
    lines += ["    )", "    _arguments -C \\"]
    lines += [f"        {_zsh_option(o)} \\" for o in top.options]
    lines += [
        "        '1: :->command' \\",
        "        '*:: :->args'",
        "    case $state in",
        "    command) _describe 'command' commands ;;",
        "    args)",
        "        case $words[1] in",
    ]
    for command in subcommands:
        specs = [_zsh_option(o) for o in command.options]
        for argument in command.arguments:
            action = "_files" if argument.is_file else " "
            if argument.choices:
                action = f"({' '.join(argument.choices)})"
            star = "*" if argument.many else ""
            specs.append(f"'{star}:{argument.name.lower()}:{action}'")
        lines.append(f"        {command.name})")
        lines.append("            _arguments \\")
        lines += [f"                {spec} \\" for spec in specs[:-1]]
        lines.append(f"                {specs[-1]}")
        lines.append("            ;;")
    lines += ["        esac", "        ;;", "    esac", "}", "", f'_{PROG} "$@"', ""]
    return "\n".join(lines)


# -- fish ------------------------------------------------------------------------------


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _fish_option(condition: str, option: Opt) -> str:
    parts = [f"complete -c {PROG} -n {_fish_quote(condition)}"]
    for name in option.names:
        parts.append(f"-l {name[2:]}" if name.startswith("--") else f"-s {name[1:]}")
    if option.takes_value:
        parts.append("-r")
        if option.choices:
            parts.append(f"-f -a {_fish_quote(' '.join(option.choices))}")
        elif option.is_file:
            parts.append("-F")
    parts.append(f"-d {_fish_quote(option.help)}")
    return " ".join(parts)


def fish(top: Command, subcommands: list[Command]) -> str:
    lines = [
        f"# fish completion for {PROG}; generated by scripts/generate_docs.py, do not edit.",
        f"complete -c {PROG} -f",
    ]
    lines += [_fish_option("__fish_use_subcommand", o) for o in top.options]
    for command in subcommands:
        lines.append(
            f"complete -c {PROG} -n __fish_use_subcommand -a {command.name}"
            f" -d {_fish_quote(command.help)}"
        )
    for command in subcommands:
        condition = f"__fish_seen_subcommand_from {command.name}"
        lines += [_fish_option(condition, o) for o in command.options]
        if any(a.is_file for a in command.arguments):
            lines.append(f"complete -c {PROG} -n {_fish_quote(condition)} -F")
        actions = [c for a in command.arguments for c in a.choices or ()]
        if actions:
            words = _fish_quote(" ".join(actions))
            lines.append(f"complete -c {PROG} -n {_fish_quote(condition)} -f -a {words}")
    lines.append("")
    return "\n".join(lines)


# -- man page --------------------------------------------------------------------------


def _roff(text: str) -> str:
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join(
        "\\&" + line if line.startswith((".", "'")) else line for line in text.split("\n")
    )


def man(top: Command, subcommands: list[Command]) -> str:
    out = [
        f'.TH STREAMCLI 1 "" "{PROG} {__version__}" "User Commands"',
        ".SH NAME",
        f"{PROG} \\- {_roff(top.help.rstrip('.').lower())}",
        ".SH SYNOPSIS",
        f".B {PROG}",
        "[\\fB\\-\\-version\\fR] [\\fB\\-\\-help\\fR]",
        "\\fICOMMAND\\fR [\\fIOPTIONS\\fR] [\\fIARGUMENTS\\fR]",
        *(
            line
            for command in subcommands
            for line in (
                ".br",
                f".B {PROG} {command.name}",
                f"[\\fIOPTIONS\\fR] {_roff(_arguments(command))}".rstrip(),
            )
        ),
        ".SH DESCRIPTION",
        _roff(
            f"{PROG} reads a source of events (a chat with a language model, log files, a "
            "recording), paces them through one pipeline and writes them to the terminal, as "
            "plain text, or as JSON lines (--json) for shell pipelines."
        ),
        ".SH OPTIONS",
    ]
    for option in top.options:
        out += _man_option(option)
    out.append(".SH COMMANDS")
    for command in subcommands:
        args = _arguments(command)
        out.append(f'.SS "{PROG} {command.name} [OPTIONS] {_roff(args)}"')
        out.append(_roff(command.help))
        for argument in command.arguments:
            out += [".TP", f"\\fI{_roff(argument.name)}\\fR", _roff(argument.help)]
        for option in command.options:
            out += _man_option(option)
    out.append(".SH EXIT STATUS")
    for status, meaning in errors.EXIT_STATUSES:
        out += [".TP", f"\\fB{status}\\fR", _roff(docs_pages.plain(meaning))]
    out.append(".SH ENVIRONMENT")
    for name, meaning in docs_pages.ENVIRONMENT:
        out += [".TP", f"\\fB{_roff(docs_pages.plain(name))}\\fR", _roff(docs_pages.plain(meaning))]
    out.append(".SH EXAMPLES")
    for meaning, example in EXAMPLES:
        out += [".PP", _roff(meaning), ".PP", ".RS 4", f"\\fB{_roff(example)}\\fR", ".RE"]
    out += [
        ".SH SEE ALSO",
        "The project's docs/ pages: docs/reference/events.md (the JSON event schema), "
        "docs/usage/ (each command).",
        "",
    ]
    return "\n".join(out)


def _arguments(command: Command) -> str:
    return " ".join(a.synopsis() for a in command.arguments)


def _man_option(option: Opt) -> list[str]:
    names = ", ".join(f"\\fB{_roff(n)}\\fR" for n in option.names)
    if option.takes_value:
        names += f" \\fI{_roff(option.metavar)}\\fR"
    text = option.help
    if option.choices:
        text += f" One of: {', '.join(option.choices)}."
    if option.default is not None:
        text += f" Default: {option.default}."
    return [".TP", names, _roff(text)]


def outputs() -> dict[Path, str]:
    top, subcommands = load()
    return {
        ROOT / "completions" / f"{PROG}.bash": bash(top, subcommands),
        ROOT / "completions" / f"_{PROG}": zsh(top, subcommands),
        ROOT / "completions" / f"{PROG}.fish": fish(top, subcommands),
        ROOT / "man" / f"{PROG}.1": man(top, subcommands),
        ROOT / "docs" / "reference" / "events.md": docs_pages.events_page(),
        ROOT / "docs" / "reference" / "exit-status.md": docs_pages.exit_status_page(),
        ROOT / "docs" / "reference" / "environment.md": docs_pages.environment_page(),
    }


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for path, text in outputs().items():
        current = path.read_text() if path.exists() else None
        if current == text:
            continue
        stale.append(path)
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    if check and stale:
        names = ", ".join(str(p.relative_to(ROOT)) for p in stale)
        print(f"stale: {names}; run: python scripts/generate_docs.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
