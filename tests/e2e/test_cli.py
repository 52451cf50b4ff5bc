"""The command line's front: version, help, usage errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_cli

from streamcli import __version__


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.decode().strip() == f"streamcli {__version__}"


def test_console_script_and_module_agree():
    script = Path(sys.executable).parent / "streamcli"  # installed next to the interpreter
    result = subprocess.run([str(script), "--version"], capture_output=True)
    assert result.returncode == 0
    assert result.stdout == run_cli("--version").stdout


def test_help_lists_the_commands():
    result = run_cli("--help")
    assert result.returncode == 0
    assert b"replay" in result.stdout


def test_unknown_option_is_a_usage_error():
    result = run_cli("replay", "--no-such-option", "x")
    assert result.returncode == 2
    assert b"Traceback" not in result.stderr
    assert result.stderr.decode().splitlines() == [
        "streamcli: error: no such option --no-such-option (see 'streamcli replay --help')"
    ]


def test_version_builds_no_command():
    """The subcommands are built when looked up: `--version` imports no flags module."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "streamcli", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    modules = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    assert "streamcli.cli" in modules  # the measurement works
    assert {m for m in modules if m.startswith("streamcli.")} == {"streamcli.cli"}


def test_each_command_offers_its_flags_once_and_builds_its_dataclasses():
    import typer.main

    from streamcli.cli import app

    for name, command in typer.main.get_command(app).commands.items():  # type: ignore[attr-defined]
        names = [n for p in command.params for n in (*p.opts, *p.secondary_opts)]
        assert len(names) == len(set(names)), name
    result = run_cli("tail", "--no-follow", "-n", "+2", "--prefix", "-", input=b"a\nb\n")
    assert result.returncode == 0
    assert result.stdout == b"-: b\n"  # -n +2 and --prefix reached TailOptions


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["tail", "--jsn"],
            "no such option --jsn; did you mean --json? (see 'streamcli tail --help')",
        ),
        (["tail", "--foo"], "no such option --foo (see 'streamcli tail --help')"),
        (["replay"], "missing argument 'FILE' (see 'streamcli replay --help')"),
        (["chta"], "no such command 'chta'. Did you mean 'chat'? (see 'streamcli --help')"),
        (
            ["replay", "--format", "zz", "f"],
            "invalid value for '--format': 'zz' is not one of 'auto', 'events', 'asciicast', "
            "'text' (see 'streamcli replay --help')",
        ),
        (["--helpp"], "no such option --helpp; did you mean --help? (see 'streamcli --help')"),
        (
            ["chat", "-p", "olama", "hi"],
            "invalid value for '--provider' / '-p': 'olama' is not one of 'ollama', 'openai', "
            "'anthropic', 'local'; did you mean 'ollama'? (see 'streamcli chat --help')",
        ),
        (
            ["mcp", "lst"],
            "no such action 'lst' (one of: list); did you mean 'list'? "
            "(see 'streamcli mcp --help')",
        ),
        (
            ["replay", "--speed", "-1", "f"],
            "invalid value for '--speed': must be a number from 0 to 1000000, not -1 "
            "(see 'streamcli replay --help')",
        ),
        (
            ["chat", "--retries", "11", "hi"],
            "invalid value for '--retries': must be a number from 0 to 10, not 11 "
            "(see 'streamcli chat --help')",
        ),
    ],
)
def test_a_usage_error_is_one_line_with_a_useful_suggestion(args, line):
    result = run_cli(*args)
    assert result.returncode == 2
    assert result.stderr.decode().splitlines() == [f"streamcli: error: {line}"]


def test_help_shows_plain_metavars():
    help = run_cli("replay", "--help").stdout.decode()
    assert "Usage: streamcli replay [OPTIONS] FILE\n" in help
    assert "--speed SPEED" in help and "--format auto|events|asciicast|text" in help
    assert "<" not in help and "{FILE}" not in help
    assert "FILE..." in run_cli("tail", "--help").stdout.decode()


def test_dash_capital_v_is_the_version():
    assert (
        run_cli("-V").stdout == run_cli("--version").stdout == f"streamcli {__version__}\n".encode()
    )
