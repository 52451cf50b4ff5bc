"""Every option and argument of every command, given values no option takes (numbers huge,
negative, NaN, infinite; text that is not UTF-8), is a usage error: exit status 2, one
`streamcli: error:` line naming the option, never a traceback or an "internal error".

The options are enumerated from the Typer app itself, so a new option is covered without
touching this file. The command line runs in this process (`cli.main` with `sys.argv`), as
the console script runs it; a few cases run as real processes, the only way to hand a
program bytes that are not UTF-8 in its argv. Every value generated fails validation, so
nothing here starts real work (no network, no file followed).
"""

from __future__ import annotations

import contextlib
import io
import sys
import typing
from pathlib import Path

import pytest
import typer.main
from conftest import run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamcli import cli

# What each command needs besides the value tried, so that only that value can be wrong.
REQUIRED: dict[str, list[str]] = {"replay": ["/dev/null"]}
LONE_SURROGATE = "\udcff"  # how Python hands over an argv byte that is not UTF-8


def _params() -> list[tuple[str, typing.Any]]:
    """(command, parameter) for every option and argument that takes a value."""
    group = typer.main.get_command(cli.app)
    found = []
    for name in cli.COMMANDS:
        for param in group.commands[name].params:  # type: ignore[attr-defined]
            if getattr(param, "is_flag", False) or param.name == "help":
                continue
            found.append((name, param))
    return found


PARAMS = _params()
IDS = [f"{command}:{param.opts[0]}" for command, param in PARAMS]


def _kind(param: typing.Any) -> str:
    """ "int", "float" or "text" (str, Path, a choice, lists and pairs of them)."""
    annotation = param.type_descriptor.annotation
    args = typing.get_args(annotation)
    base = args[0] if args and typing.get_origin(annotation) in (list, tuple) else annotation
    return {int: "int", float: "float"}.get(base, "text")


def _range(param: typing.Any) -> tuple[float, float]:
    low, high = param.type_descriptor.parameter_info.value_range
    return low, high


def _argv(command: str, param: typing.Any, value: str) -> list[str]:
    """The command line giving `param` the `value` (every value an argument takes)."""
    values = [value] * (param.nargs if param.nargs > 1 else 1)
    if not param.opts[0].startswith("-"):  # an argument: after --, as -1 may be one
        rest = [] if param.name == "file" else REQUIRED.get(command, [])
        return [command, "--", *values, *rest]
    return [command, param.opts[0], *values, *REQUIRED.get(command, [])]


def _names(param: typing.Any) -> list[str]:
    """How a message may name `param`: its flags, or its metavar (an argument)."""
    return [*param.opts, (param.metavar or param.name).upper()]


def _run_in_process(argv: list[str]) -> tuple[int, str]:
    """`streamcli ARGV` in this process: its exit status and what it wrote on stderr."""
    stderr, stdout = io.StringIO(), io.StringIO()
    saved = sys.argv
    sys.argv = ["streamcli", *argv]
    try:
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(stdout):
            cli.main()
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    else:  # pragma: no cover - main always exits
        status = 0
    finally:
        sys.argv = saved
    return status, stderr.getvalue()


def _assert_usage_error(param: typing.Any, argv: list[str]) -> None:
    status, stderr = _run_in_process(argv)
    lines = stderr.splitlines()
    assert status == 2, (argv, status, stderr)
    assert len(lines) == 1 and lines[0].startswith("streamcli: error: "), (argv, stderr)
    assert "Traceback" not in stderr and "internal error" not in stderr
    assert any(name in lines[0] for name in _names(param)), (argv, stderr)


def test_every_number_declares_its_range():
    """Each numeric option has a `min` and a `max` (and so a value too large for it)."""
    numeric = [(c, p) for c, p in PARAMS if _kind(p) != "text"]
    assert len(numeric) > 30
    missing = [f"{c} {p.opts[0]}" for c, p in numeric if None in _range(p)]
    assert not missing


NASTY_NUMBERS = ["nan", "inf", "-inf", "1e308", "-1e308", "1e400", "9" * 30, "-" + "9" * 30]


@pytest.mark.parametrize(("command", "param"), PARAMS, ids=IDS)
def test_each_option_refuses_what_it_cannot_take(command, param):
    """Every option, a fixed set of values it cannot take: each a one-line usage error."""
    if _kind(param) == "text":
        for value in (LONE_SURROGATE, f"ok{LONE_SURROGATE}", f"{LONE_SURROGATE}/x.txt"):
            _assert_usage_error(param, _argv(command, param, value))
        return
    values = NASTY_NUMBERS if _kind(param) == "float" else [*NASTY_NUMBERS[4:], "nan"]
    low, high = _range(param)
    for value in [*values, str(high + 1), str(low - 1)]:
        _assert_usage_error(param, _argv(command, param, value))


def _bad_values(param: typing.Any) -> st.SearchStrategy[str]:
    """Values `param` cannot take, drawn at random."""
    if _kind(param) == "text":
        return st.builds(
            lambda head, tail: head + LONE_SURROGATE + tail,
            st.text(max_size=20),
            st.text(max_size=20),
        ).map(lambda s: s.replace("\x00", ""))  # argv cannot hold NUL
    low, high = _range(param)
    ints = st.integers(min_value=int(high) + 1) | st.integers(max_value=int(low) - 1)
    beyond = ints.map(str) | st.sampled_from(["nan", "-nan", "inf", "+inf", "-Infinity"])
    if _kind(param) == "int":
        return beyond
    floats = st.floats(min_value=high, exclude_min=True) | st.floats(
        max_value=low, exclude_max=True
    )
    return beyond | floats.map(repr) | st.just("1e999")


@st.composite
def _cases(draw: st.DrawFn) -> tuple[typing.Any, list[str]]:
    command, param = draw(st.sampled_from(PARAMS))
    return param, _argv(command, param, draw(_bad_values(param)))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_cases())
def test_random_bad_values_are_usage_errors(case):
    """Random huge, negative, NaN, infinite and not-UTF-8 values, to random options."""
    param, argv = case
    _assert_usage_error(param, argv)


def test_a_value_with_a_quote_is_named_as_any_other():
    """Click quotes such a value with double quotes; found by the test above."""
    for command, param in PARAMS:
        if command == "mcp" and not param.opts[0].startswith("-"):
            _assert_usage_error(param, _argv(command, param, "\udcff'"))
            _assert_usage_error(param, _argv(command, param, "li'st"))


# -- real processes: bytes in argv that are not UTF-8, the config file ----------------


@pytest.mark.parametrize(
    "argv",
    [
        [b"chat", b"-s", b"\xff\xfe", b"hi"],
        [b"chat", b"-m", b"model-\xff", b"hi"],
        [b"chat", b"--base-url", b"http://\xff/", b"hi"],
        [b"chat", b"caf\xe9 au lait"],  # Latin-1, not UTF-8
        [b"replay", b"\xff.jsonl"],
        [b"tail", b"--grep", b"\xff", b"/dev/null"],
        [b"bench", b"--rate", b"inf"],
        [b"history", b"999999999999999999999999"],
        [b"chat", b"--timeout", b"1e308", b"hi"],
        [b"chat", b"--seed", str(2**64 + 1).encode(), b"hi"],
    ],
    ids=lambda argv: b" ".join(argv).decode("utf-8", "backslashreplace"),
)
def test_real_processes_refuse_bad_arguments_in_one_line(argv, tmp_path):
    done = run_cli(*argv, XDG_CONFIG_HOME=str(tmp_path), OLLAMA_HOST="http://127.0.0.1:9")  # type: ignore[arg-type]
    stderr = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 2, stderr
    assert stderr.count("\n") == 1 and stderr.startswith("streamcli: error: "), stderr
    assert "Traceback" not in stderr and "internal error" not in stderr


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("timeout = nan", "timeout: must be a number from 0.001 to 1000000, not nan"),
        ("max_tokens = 99999999999999999", "max_tokens: must be a number from 1 to 10000000"),
        ("first_token_timeout = inf", "first_token_timeout: must be a number from 0.001"),
    ],
)
def test_config_file_numbers_are_checked_as_flags_are(tmp_path, line, words):
    (tmp_path / "streamcli").mkdir()
    (tmp_path / "streamcli" / "config.toml").write_text(line + "\n")
    done = run_cli("chat", "--base-url", "http://127.0.0.1:9", "hi", XDG_CONFIG_HOME=str(tmp_path))
    stderr = done.stderr.decode()
    assert done.returncode == 2, stderr
    assert stderr.count("\n") == 1 and words in stderr and str(Path(tmp_path)) in stderr


@pytest.mark.parametrize(
    ("env", "args", "words"),
    [
        ({"OLLAMA_HOST": "http://[::1"}, ["chat", "hi"], "OLLAMA_HOST: not an http(s) URL"),
        ({"OLLAMA_HOST": "http://h:99999"}, ["chat", "hi"], "OLLAMA_HOST: not an http(s) URL"),
        ({"OLLAMA_HOST": "http://" + LONE_SURROGATE}, ["chat", "hi"], "OLLAMA_HOST: not valid"),
        (
            {"STREAMCLI_PROVIDER": "openai", "OPENAI_BASE_URL": "ftp://x", "OPENAI_API_KEY": "k"},
            ["chat", "hi"],
            "OPENAI_BASE_URL: not an http(s) URL",
        ),
        (
            {"STREAMCLI_MODEL": "m" + LONE_SURROGATE, "OLLAMA_HOST": "http://127.0.0.1:9"},
            ["chat", "hi"],
            "STREAMCLI_MODEL: not valid UTF-8",
        ),
        (
            {"STREAMCLI_PROVIDER": "openai", "OPENAI_API_KEY": "ключ-0123456789"},
            ["chat", "--base-url", "http://127.0.0.1:9", "hi"],
            "OPENAI_API_KEY: the key has characters that are not printable ASCII",
        ),
        ({}, ["chat", "--base-url", "http://[::1", "hi"], "--base-url: not an http(s) URL"),
        ({}, ["chat", "--base-url", "not a url", "hi"], "--base-url: not an http(s) URL"),
        (
            {"STREAMCLI_PROVIDER": "openai", "OPENAI_BASE_URL": "a b", "OPENAI_API_KEY": "k"},
            ["chat", "hi"],
            "OPENAI_BASE_URL: not an http(s) URL",
        ),
        ({}, ["bench", "--url", "http://[::1", "-p", "openai", "-m", "m"], "--url: not an"),
    ],
)
def test_environment_variables_are_checked_as_flags_are(tmp_path, env, args, words):
    done = run_cli(*args, XDG_CONFIG_HOME=str(tmp_path), **env)
    stderr = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 2, stderr
    assert stderr.count("\n") == 1 and words in stderr, stderr
    assert "ключ" not in stderr  # a key is never shown, not even a bad one
