"""The configuration file: ``$XDG_CONFIG_HOME/streamcli/config.toml``.

Defaults for the commands, in TOML (``~/.config/streamcli/config.toml`` when
XDG_CONFIG_HOME is unset). Flags beat environment variables, which beat this file. The
file is checked as it is read: an unknown key or a value of the wrong type is an error
that names the file and the key (exit status 2), so a typo never goes unnoticed.

    provider = "ollama"        # chat defaults
    model = "llama3.2"
    timeout = 60
    retries = 2
    system = "Answer briefly."

    [openai]                   # per provider: base_url, model, key_file
    base_url = "http://localhost:8000/v1"
    key_file = "~/.config/streamcli/openai.key"
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streamcli.capped import CONFIG_LIMIT, read_capped
from streamcli.errors import BadInput
from streamcli.paths import config_dir
from streamcli.providers import HTTP_PROVIDERS, LOCAL

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

_NUMBER = (int, float)
# Top-level keys and the types their values may have.
TOP_LEVEL: dict[str, tuple[type, ...]] = {
    "provider": (str,),
    "model": (str,),
    "base_url": (str,),
    "system": (str,),
    "timeout": _NUMBER,
    "first_token_timeout": _NUMBER,
    "connect_timeout": _NUMBER,
    "retries": (int,),
    "temperature": _NUMBER,
    "max_tokens": (int,),
}
# Tables, and the keys each may hold.
TABLES: dict[str, dict[str, tuple[type, ...]]] = {
    name: {"base_url": (str,), "model": (str,), "key_file": (str,)} for name in HTTP_PROVIDERS
}
TABLES[LOCAL] = {"model": (str,)}  # a GGUF file's path
_TYPE_NAMES: dict[tuple[type, ...], str] = {
    (str,): "a string",
    _NUMBER: "a number",
    (int,): "an integer",
}


@dataclass
class Config:
    """The settings of the config file (empty when there is none)."""

    path: Path | None = None  # None: there is no file
    values: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str, table: str | None = None) -> Any:
        """A value from `table` (or the top level); None when not set."""
        source = self.values.get(table, {}) if table else self.values
        return source.get(key)

    def where(self, key: str, table: str | None = None) -> str:
        """How to name a setting in a message: the file and the key."""
        return f"{self.path}: {table + '.' if table else ''}{key}"


def config_path(environ: Mapping[str, str]) -> Path:
    return config_dir(environ) / "config.toml"


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """The TOML file at `path` (`what` names it in messages, e.g. "config file").

    A missing file raises `FileNotFoundError`; any other problem is `BadInput` (exit 2).
    """
    try:
        data = read_capped(path, CONFIG_LIMIT, f"the {what} {path}")
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise BadInput(f"cannot read the {what} {path}: {exc.strerror or exc}") from None
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadInput(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"{path}: not valid TOML ({exc})") from None


def load_config(environ: Mapping[str, str]) -> Config:
    """Read and check the configuration file; an empty `Config` when there is none."""
    path = config_path(environ)
    try:
        values = read_toml(path, "config file")
    except FileNotFoundError:
        return Config()
    _check(path, values)
    return Config(path, values)


def _check(path: Path, values: dict[str, Any]) -> None:
    for key, value in values.items():
        if key in TABLES:
            if not isinstance(value, dict):
                raise BadInput(f"{path}: {key} must be a table ([{key}])")
            for inner, inner_value in value.items():
                _check_value(path, f"{key}.{inner}", TABLES[key].get(inner), inner_value)
        else:
            _check_value(path, key, TOP_LEVEL.get(key), value)


def _check_value(path: Path, name: str, types: tuple[type, ...] | None, value: Any) -> None:
    if types is None:
        known = ", ".join([*TOP_LEVEL, *(f"[{t}]" for t in TABLES)])
        raise BadInput(f"{path}: unknown setting {name!r} (known: {known})")
    if isinstance(value, bool) or not isinstance(value, types):
        raise BadInput(f"{path}: {name} must be {_TYPE_NAMES.get(types, 'a value')}")
