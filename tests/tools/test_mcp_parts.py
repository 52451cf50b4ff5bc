"""The MCP parts that need no server: the file, the names, the environment, the results."""

from __future__ import annotations

import base64
import json
from types import SimpleNamespace as NS

import pytest

from streamcli.errors import BadInput
from streamcli.tools.mcp.config import load_mcp_config, wants_servers
from streamcli.tools.mcp.environment import server_environment
from streamcli.tools.mcp.naming import exposed_name
from streamcli.tools.mcp.results import progress_text, result_outcome
from streamcli.tools.spec import NAME


def _file(tmp_path, data) -> object:
    path = tmp_path / "mcp.json"
    path.write_text(json.dumps(data))
    return path


def test_names_are_server_and_tool_and_valid_for_every_api():
    assert exposed_name("time", "get_current_time") == "time__get_current_time"
    assert exposed_name("my server", "read.file") == "my_server__read_file"
    long = exposed_name("s" * 40, "tool_" + "x" * 60)
    assert len(long) == 64 and NAME.match(long)
    assert long != exposed_name("s" * 40, "tool_" + "x" * 61)  # the hash tells them apart
    assert exposed_name("a", "b", {"a__b"}) == "a__b_2"
    assert exposed_name("a", "b", {"a__b", "a__b_2"}) == "a__b_3"
    assert NAME.match(exposed_name("ü", "ß"))


def test_the_common_shape_is_read_and_variables_expanded(tmp_path):
    path = _file(
        tmp_path,
        {
            "mcpServers": {
                "local": {"command": "srv", "args": ["-v"], "env": {"T": "${TOKEN}-x"}, "cwd": "/"},
                "web": {"type": "sse", "url": "http://h/sse", "headers": {"A": "Bearer ${TOKEN}"}},
                "http": {"url": "https://h/mcp"},
                "off": {"command": "srv", "disabled": True},
            },
            "defaultServers": ["local"],
        },
    )
    config = load_mcp_config(path, {"TOKEN": "t0k"})
    local, web, http = config.servers.values()
    assert (local.transport, local.command, local.args, local.cwd) == ("stdio", "srv", ("-v",), "/")
    assert local.env == {"T": "t0k-x"}
    assert web.transport == "sse" and web.headers == {"A": "Bearer t0k"}
    assert http.transport == "http"
    assert "off" not in config.servers
    assert [e.name for e in config.chosen([])] == ["local"]
    assert wants_servers(path, {})
    assert not config.notices


def test_trust_a_server_or_some_of_its_tools(tmp_path):
    path = _file(
        tmp_path,
        {
            "mcpServers": {
                "a": {"command": "x", "trust": True},
                "b": {"command": "x", "trust": ["t"]},
            }
        },
    )
    a, b = load_mcp_config(path, {}).servers.values()
    assert a.trusts("anything") and b.trusts("t") and not b.trusts("u")


@pytest.mark.parametrize(
    "data, says",
    [
        ([], "must be a JSON object"),
        ({"mcpServers": []}, "mcpServers must be an object"),
        ({"mcpServers": {"a": {"command": "x", "startupTimeout": 0}}}, "startupTimeout"),
        ({"mcpServers": {"a": {"type": "ws", "url": "http://h"}}}, "type must be one of"),
        ({"defaultServers": "a"}, "defaultServers must be a list"),
    ],
)
def test_wrong_shapes_name_the_file(tmp_path, data, says):
    path = _file(tmp_path, data)
    with pytest.raises(BadInput, match=says) as caught:
        load_mcp_config(path, {})
    assert str(path) in caught.value.message


def test_a_missing_default_file_is_no_servers_but_a_named_one_is_an_error(tmp_path):
    environ = {"XDG_CONFIG_HOME": str(tmp_path)}
    assert load_mcp_config(None, environ).servers == {}
    assert not wants_servers(None, environ)
    with pytest.raises(BadInput, match="--mcp-config: no such file"):
        load_mcp_config(tmp_path / "nope.json", environ)


def test_a_server_inherits_no_secret_and_nothing_unnamed(tmp_path):
    path = _file(tmp_path, {"mcpServers": {"s": {"command": "x", "env": {"GH": "${GH_TOKEN}"}}}})
    environ = {
        "PATH": "/bin", "HOME": "/h", "LANG": "C.UTF-8", "LC_TIME": "C", "TERM": "xterm",
        "OPENAI_API_KEY": "sk", "GH_TOKEN": "g", "AWS_SECRET_ACCESS_KEY": "a", "EDITOR": "vi",
        "BASH_FUNC_x%%": "() { :; }",
    }  # fmt: skip
    (entry,) = load_mcp_config(path, environ).servers.values()
    env = server_environment(entry, environ)
    assert env == {
        "PATH": "/bin", "HOME": "/h", "LANG": "C.UTF-8", "LC_TIME": "C", "TERM": "xterm",
        "GH": "g",
    }  # fmt: skip


def test_result_content_as_text():
    png = base64.b64encode(b"p" * 2048).decode()
    result = NS(
        content=[
            NS(type="text", text="one"),
            NS(type="image", data=png, mime_type="image/png"),
            NS(type="audio", data=base64.b64encode(b"a" * 10).decode(), mime_type="audio/wav"),
            NS(type="resource_link", uri="file:///a", mime_type="text/plain"),
            NS(type="resource", resource=NS(uri="file:///b", mime_type="image/gif", blob=png)),
        ],
        is_error=False,
    )
    outcome = result_outcome(result)
    assert outcome.ok
    assert outcome.output.splitlines() == [
        "one",
        "[image/png, 2 KB]",
        "[audio/wav, 10 B]",
        "[resource file:///a, text/plain]",
        "[resource file:///b, image/gif, 2 KB]",
    ]
    assert result_outcome(NS(content=[], structured_content={"a": 1})).output == '{"a": 1}'
    failed = result_outcome(NS(content=[], is_error=True))
    assert not failed.ok and failed.output


def test_progress_lines():
    assert progress_text(3, 10, "indexing…") == "3/10 indexing…"
    assert progress_text(0.5, None, None) == "0.5"
    assert progress_text(2, None, "files") == "2 files"
