"""What the environment says about the terminal."""

from __future__ import annotations

import io

import pytest

from streamcli.env import Environment


def environment(**environ: str) -> Environment:
    return Environment(io.BytesIO(), io.BytesIO(), io.StringIO(), environ=environ)


@pytest.mark.parametrize(
    ("environ", "rewraps"),
    [
        ({"TMUX": "/tmp/tmux-0/default,1,0"}, True),
        ({"VTE_VERSION": "7600"}, True),
        ({"TERM_PROGRAM": "iTerm.app"}, True),
        ({"WT_SESSION": "x"}, True),
        ({"TERM": "xterm-256color"}, False),  # xterm cuts rows rather than re-wrapping
        ({"TMUX": "x", "STREAMCLI_REWRAP": "0"}, False),
        ({"TERM": "xterm", "STREAMCLI_REWRAP": "1"}, True),
    ],
)
def test_which_terminals_rewrap_their_rows(environ, rewraps):
    assert environment(**environ).rewrapping_terminal is rewraps
