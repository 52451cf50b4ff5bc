"""Completions and the man page are generated from the Typer app and must be current."""

from __future__ import annotations

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
