"""The command line's front: version, help, usage errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
    assert b"No such option" in result.stderr
