"""Completions and the man page are generated from the Typer app and must be current."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_completions_and_man_page_are_current():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "generate_docs.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def _bash_complete(words: list[str]) -> list[str]:
    """Complete `words` (the last one being typed) with the generated bash script."""
    script = f"""
        source {ROOT / "completions" / "streamcli.bash"}
        COMP_WORDS=({" ".join(repr(w) for w in words)})
        COMP_CWORD={len(words) - 1}
        _streamcli
        printf '%s\\n' "${{COMPREPLY[@]}}"
    """
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    return result.stdout.split()


def test_bash_completion_knows_commands_options_and_choices():
    assert "replay" in _bash_complete(["streamcli", ""])
    assert "--speed" in _bash_complete(["streamcli", "replay", "--sp"])
    assert _bash_complete(["streamcli", "replay", "--format", "a"]) == ["auto", "asciicast"]


def test_bash_completes_an_action():
    assert _bash_complete(["streamcli", "mcp", "l"]) == ["list"]
    assert _bash_complete(["streamcli", "mcp", "--js"]) == ["--json"]


def test_the_synopsis_shows_optional_arguments_in_brackets():
    page = (ROOT / "man" / "streamcli.1").read_text()
    synopsis = page.split(".SH SYNOPSIS")[1].split(".SH")[0]
    assert "streamcli chat\n[\\fIOPTIONS\\fR] [PROMPT...]" in synopsis
    assert "streamcli replay\n[\\fIOPTIONS\\fR] FILE\n" in synopsis  # required: no brackets
    assert "streamcli mcp\n[\\fIOPTIONS\\fR] [list]" in synopsis


# Where the code reads a variable: environ.get("X"), environ["X"], a provider's key_env or
# base_env, an XDG directory, or a tuple of names it checks.
READS = re.compile(
    r'environ(?:\.get)?[(\[]"([A-Z][A-Z0-9_]+)"|(?:key_env|base_env) = "([A-Z][A-Z0-9_]+)"'
    r'|xdg_dir\(environ, "([A-Z][A-Z0-9_]+)"'
)


def test_the_man_page_lists_every_environment_variable_read():
    page = (ROOT / "man" / "streamcli.1").read_text().replace("\\-", "-")
    environment = page.split(".SH ENVIRONMENT")[1].split(".SH")[0]
    read = set()
    for path in (ROOT / "streamcli").rglob("*.py"):
        for match in READS.finditer(path.read_text()):
            read.add(next(group for group in match.groups() if group))
    assert len(read) > 15  # the search works
    assert sorted(name for name in read if name not in environment) == []


def test_man_page_documents_every_command_and_exit_status():
    import typer.main

    from streamcli.cli import app

    page = (ROOT / "man" / "streamcli.1").read_text()
    for name in typer.main.get_command(app).commands:  # type: ignore[attr-defined]
        assert f'.SS "streamcli {name} ' in page
    assert ".SH EXAMPLES" in page and "streamcli replay s.jsonl" in page
    for status in ("0", "1", "2", "130", "143"):
        assert f"\\fB{status}\\fR" in page


def test_bash_completes_a_directory_with_a_slash_and_no_space(tmp_path):
    """In a real interactive bash: `replay ex<TAB>` gives `examples/`, ready for more."""
    from ptyterm import PtyTerminal

    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "story.txt").write_text("hi\n")
    rc = tmp_path / "rc"
    rc.write_text(f"PS1='$ '\nsource {ROOT / 'completions' / 'streamcli.bash'}\n")
    argv = ["bash", "--noprofile", "--rcfile", str(rc), "-i"]
    with PtyTerminal([], argv=argv, cwd=str(tmp_path), columns=80, rows=10) as term:
        term.wait_for_text("$")
        term.write(b"streamcli replay ex\t")
        line = "$ streamcli replay examples/"
        term.wait_for_text(line)
        term.write(b"\t")  # no space was added: the directory's entries complete next
        term.wait_for_text(line + "story.txt")
        term.wait_for(lambda t: t.screen.cursor.x == len(line + "story.txt "), what="a space")
        term.write(b"\x15exit\r")  # Ctrl-U clears the line
        term.wait_exit()


def test_every_exit_status_the_code_uses_is_documented():
    from streamcli import errors
    from streamcli.signals import STOP_STATUSES

    documented = {status for status, _ in errors.EXIT_STATUSES}
    used = {errors.OK, errors.FAILURE, errors.USAGE, errors.INTERRUPTED, *STOP_STATUSES.values()}
    assert used <= documented
    page = (ROOT / "docs" / "reference" / "exit-status.md").read_text()
    assert all(f"| {status} |" in page for status in documented)
