"""Where chat settings come from: flags, then the environment, then the config file."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamcli.config import Config, config_path, load_config
from streamcli.errors import BadInput
from streamcli.keys import read_key_file
from streamcli.sources.chat.settings import ChatFlags, choose_provider, resolve


def config(tmp_path: Path, text: str) -> Config:
    path = tmp_path / "streamcli" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return load_config({"XDG_CONFIG_HOME": str(tmp_path)})


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "ollama"),
        ({"OPENAI_API_KEY": "k"}, "openai"),
        ({"OPENAI_BASE_URL": "http://x/v1"}, "openai"),
        ({"ANTHROPIC_API_KEY": "k"}, "anthropic"),
        ({"ANTHROPIC_API_KEY": "k", "OPENAI_API_KEY": "k"}, "openai"),
        ({"STREAMCLI_PROVIDER": "Anthropic", "OPENAI_API_KEY": "k"}, "anthropic"),
    ],
)
def test_provider_from_the_environment(environ, expected):
    assert choose_provider(None, environ, Config()) == expected


def test_flag_beats_environment_beats_config_which_beats_guessing(tmp_path):
    file = config(tmp_path, 'provider = "anthropic"\n')
    assert choose_provider(None, {"OPENAI_API_KEY": "k"}, file) == "anthropic"
    assert choose_provider(None, {"STREAMCLI_PROVIDER": "ollama"}, file) == "ollama"
    assert choose_provider("openai", {"STREAMCLI_PROVIDER": "ollama"}, file) == "openai"


def test_unknown_provider_names_the_choices():
    with pytest.raises(BadInput, match="STREAMCLI_PROVIDER: unknown provider 'gemini'"):
        choose_provider(None, {"STREAMCLI_PROVIDER": "gemini"}, Config())


def test_settings_precedence(tmp_path):
    file = config(
        tmp_path,
        'model = "top"\ntimeout = 5\nretries = 0\nsystem = "from config"\n'
        '[ollama]\nbase_url = "http://gpu:11434"\nmodel = "table"\n',
    )
    settings = resolve(ChatFlags(), {}, file)
    assert settings.provider.base_url == "http://gpu:11434"
    assert settings.model == "table"  # the provider's table beats the top level
    assert settings.limits.timeout == 5 and settings.limits.retries == 0
    assert settings.system == "from config"
    settings = resolve(
        ChatFlags(model="flag", timeout=9, system=""),
        {"OLLAMA_HOST": "envhost", "STREAMCLI_MODEL": "env"},
        file,
    )
    assert settings.provider.base_url == "http://envhost:11434"
    assert settings.model == "flag" and settings.limits.timeout == 9 and settings.system == ""
    assert resolve(ChatFlags(), {"STREAMCLI_MODEL": "env"}, file).model == "env"


def test_top_level_model_applies_only_to_the_configured_provider(tmp_path):
    file = config(tmp_path, 'provider = "ollama"\nmodel = "llama3"\nbase_url = "http://h:1"\n')
    assert resolve(ChatFlags(), {}, file).model == "llama3"
    other = resolve(ChatFlags(provider="openai"), {"OPENAI_API_KEY": "sk-x"}, file)
    assert other.model is None and other.provider.base_url == "https://api.openai.com/v1"


def test_defaults(tmp_path):
    settings = resolve(ChatFlags(), {}, Config())
    assert settings.provider.name == "ollama"
    assert settings.provider.base_url == "http://localhost:11434"
    assert (settings.limits.timeout, settings.limits.first_token_timeout) == (60, 300)
    assert settings.limits.retries == 2 and settings.model is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("model = ", "not valid TOML"),
        ("modle = 'x'", "unknown setting 'modle'"),
        ("timeout = 'long'", "timeout must be a number"),
        ("retries = 1.5", "retries must be an integer"),
        ("retries = true", "retries must be an integer"),
        ("[openai]\nkey = 'sk-x'", "unknown setting 'openai.key'"),
        ("openai = 3", "openai must be a table"),
    ],
)
def test_config_errors_name_the_file_and_the_key(tmp_path, text, message):
    with pytest.raises(BadInput, match=message) as caught:
        config(tmp_path, text)
    assert str(tmp_path) in caught.value.message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("timeout = 0", "timeout: must be a number from 0.001 to 1000000, not 0"),
        ("timeout = nan", "timeout: must be a number from 0.001 to 1000000, not nan"),
        ("connect_timeout = inf", "connect_timeout: must be a number from 0.001 to 1000000"),
        ("max_tokens = 99999999999", "max_tokens: must be a number from 1 to 10000000"),
        ("temperature = -inf", "temperature: must be a number from 0 to 100, not -inf"),
        ("retries = 11", "retries: must be a number from 0 to 10, not 11"),
    ],
)
def test_config_values_are_checked_as_the_flags_are(tmp_path, text, message):
    """config.toml's numbers have the ranges of the flags they stand for (one check)."""
    with pytest.raises(BadInput, match=message):
        resolve(ChatFlags(), {}, config(tmp_path, text))


def test_config_path_follows_xdg():
    assert config_path({"XDG_CONFIG_HOME": "/x"}) == Path("/x/streamcli/config.toml")
    assert config_path({"HOME": "/h"}) == Path("/h/.config/streamcli/config.toml")
    assert config_path({"HOME": "/h", "XDG_CONFIG_HOME": "rel"}).parts[:3] == ("/", "h", ".config")


def test_no_config_file_is_an_empty_config(tmp_path):
    assert load_config({"XDG_CONFIG_HOME": str(tmp_path)}).values == {}


def test_keys_from_the_environment_and_from_a_config_key_file(tmp_path):
    key_file = tmp_path / "anthropic.key"
    key_file.write_text("\n  sk-ant-filekey  \n")
    key_file.chmod(0o600)
    file = config(tmp_path, f'[anthropic]\nkey_file = "{key_file}"\n')
    settings = resolve(ChatFlags(provider="anthropic"), {}, file)
    assert settings.provider.key == "sk-ant-filekey"
    assert settings.key_source == f"the key file {key_file}"
    settings = resolve(ChatFlags(provider="anthropic"), {"ANTHROPIC_API_KEY": "sk-env"}, file)
    assert settings.provider.key == "sk-env" and settings.key_source == "ANTHROPIC_API_KEY"


def test_official_apis_need_a_key(tmp_path):
    with pytest.raises(BadInput, match="set ANTHROPIC_API_KEY"):
        resolve(ChatFlags(provider="anthropic"), {}, Config())
    local = resolve(ChatFlags(provider="anthropic", base_url="http://proxy:8080"), {}, Config())
    assert local.provider.key is None


@pytest.mark.parametrize(
    ("mode", "message"), [(0o640, "can be read by other users"), (0o604, "chmod 600")]
)
def test_key_files_others_can_read_are_refused(tmp_path, mode, message):
    key_file = tmp_path / "key"
    key_file.write_text("sk-x")
    key_file.chmod(mode)
    with pytest.raises(BadInput, match=message):
        read_key_file(key_file)


def test_key_file_problems(tmp_path):
    with pytest.raises(BadInput, match="cannot read the key file"):
        read_key_file(tmp_path / "missing")
    empty = tmp_path / "empty"
    empty.write_text("\n")
    empty.chmod(0o600)
    with pytest.raises(BadInput, match="is empty"):
        read_key_file(empty)
    with pytest.raises(BadInput, match="not a regular file"):
        read_key_file(tmp_path)


def test_provider_reprs_never_show_the_key(tmp_path):
    settings = resolve(ChatFlags(provider="openai"), {"OPENAI_API_KEY": "sk-secret-1234"}, Config())
    assert "sk-secret" not in repr(settings)


def test_xdg_directories_follow_the_spec(tmp_path):
    from streamcli import paths

    home = {"HOME": str(tmp_path)}
    assert paths.config_dir(home) == tmp_path / ".config" / "streamcli"
    assert paths.data_dir(home) == tmp_path / ".local" / "share" / "streamcli"
    assert paths.cache_dir({**home, "XDG_CACHE_HOME": "relative/ignored"}) == (
        tmp_path / ".cache" / "streamcli"
    )
    assert paths.config_dir({**home, "XDG_CONFIG_HOME": "/etc/xdg"}) == Path("/etc/xdg/streamcli")
