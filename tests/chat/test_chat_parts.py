"""The small parts of chat: redaction, retry timing, tool-call assembly, the watchdog."""

from __future__ import annotations

import email.utils

import pytest

from streamcli.redact import MASK, Redactor, fingerprint
from streamcli.sources.chat import retry
from streamcli.sources.chat.protocols.anthropic import AnthropicDecoder
from streamcli.sources.chat.protocols.openai import OpenAIDecoder
from streamcli.sources.chat.protocols.provider import ServerReported, server_message
from streamcli.sources.chat.protocols.toolcalls import ToolCallParts
from streamcli.sources.chat.request import join_prompt
from streamcli.sources.chat.watchdog import Watchdog

# -- redaction ------------------------------------------------------------------------


def test_known_keys_are_masked_by_value_longest_first():
    redact = Redactor(["abcd-secret", "abcd-secret-longer", None, ""])
    assert redact("x abcd-secret-longer y abcd-secret") == f"x {MASK} y {MASK}"


@pytest.mark.parametrize(
    "text",
    [
        "sk-proj-abcdefghijklmnop1234",
        "sk-ant-api03-AbCdEfGhIjKlMnOp",
        "sk-0123456789abcdef0123",
        "AIzaSyA0123456789abcdefghijklmnopqrstu",
        "ghp_0123456789abcdefghij0123456789abcd",
    ],
)
def test_key_shaped_strings_are_masked_by_pattern(text):
    assert Redactor()(f"got {text}.") == f"got {MASK}."


def test_announced_credentials_keep_their_label():
    redact = Redactor()
    assert redact("Authorization: Bearer abc.def.ghi123") == f"Authorization: Bearer {MASK}"
    assert redact("GET /v1?key=abcdefgh123&x=1") == f"GET /v1?key={MASK}&x=1"


def test_exact_masking_leaves_key_shaped_model_text_alone():
    assert Redactor(["real-key-123"]).exact("example sk-abcdefghijklmnopq") == (
        "example sk-abcdefghijklmnopq"
    )


def test_fingerprint_shows_only_the_end():
    assert fingerprint("sk-0123456789abcdef") == "…cdef"
    assert fingerprint("short") == "(short key)"


# -- retry timing -------------------------------------------------------------------


def test_retry_after_forms():
    assert retry.retry_after({"retry-after": "3"}) == 3
    assert retry.retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert retry.retry_after({"retry-after": "soon"}) is None
    assert retry.retry_after({}) is None
    date = email.utils.formatdate(1_000_030, usegmt=True)
    assert retry.retry_after({"retry-after": date}, now=lambda: 1_000_000) == pytest.approx(30)
    past = email.utils.formatdate(999_000, usegmt=True)
    assert retry.retry_after({"retry-after": past}, now=lambda: 1_000_000) == 0


def test_backoff_grows_is_capped_and_jittered():
    assert retry.backoff(0, rand=lambda: 0) == 0.5
    assert retry.backoff(0, rand=lambda: 1) == 0.375
    assert retry.backoff(2, rand=lambda: 0) == 2.0
    assert retry.backoff(10, rand=lambda: 0) == retry.MAX_DELAY


def test_delay_honours_the_server_unless_it_asks_too_much():
    assert retry.delay(0, 2.0) == 2.0
    assert retry.delay(0, retry.MAX_RETRY_AFTER + 1) is None
    assert 0.375 <= retry.delay(0, None) <= 0.5


@pytest.mark.parametrize(("status", "expected"), [(408, True), (409, True), (429, True),
    (500, True), (503, True), (400, False), (401, False), (404, False)])  # fmt: skip
def test_retryable_statuses(status, expected):
    assert retry.retryable_status(status) is expected


# -- tool calls -----------------------------------------------------------------------


def test_openai_fragments_by_index_including_parallel_calls():
    parts = ToolCallParts()
    parts.piece(0, "call_a", "weather", "")
    parts.piece(1, "call_b", "time", '{"tz":')
    parts.piece(0, None, None, '{"city":')
    parts.piece(0, None, None, '"Paris"}')
    parts.piece(1, None, None, '"UTC"}')
    calls = parts.done()
    assert [(c.id, c.name, c.arguments) for c in calls] == [
        ("call_a", "weather", {"city": "Paris"}),
        ("call_b", "time", {"tz": "UTC"}),
    ]


def test_missing_index_continues_the_last_call_and_a_new_id_starts_one():
    parts = ToolCallParts()
    parts.piece(None, "a", "f", '{"x"')
    parts.piece(None, None, None, ": 1}")
    parts.piece(None, "b", "g", "{}")
    assert [(c.id, c.arguments) for c in parts.done()] == [("a", {"x": 1}), ("b", {})]


def test_every_call_at_index_zero_is_told_apart_by_id():
    parts = ToolCallParts()
    parts.piece(0, "a", "f", "{}")
    parts.piece(0, "b", "g", '{"y":')
    parts.piece(0, None, None, "2}")
    assert [(c.name, c.arguments) for c in parts.done()] == [("f", {}), ("g", {"y": 2})]


def test_bad_arguments_are_noted_not_raised():
    parts = ToolCallParts()
    parts.piece(0, "a", "f", '{"x": ')
    parts.piece(1, "b", "g", "[1]")
    first, second = parts.done()
    assert "not valid JSON" in first.problem and "not a JSON object" in second.problem


# -- decoders ---------------------------------------------------------------------------


def test_openai_usage_only_chunk_and_null_fields():
    decoder = OpenAIDecoder()
    out = decoder.message({"choices": [{"delta": None, "finish_reason": None}]}, "message", 0.0)
    out += decoder.message(
        {"choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 2}}, "message", 0.0
    )
    assert out == [] and decoder.usage == {"input_tokens": 1, "output_tokens": 2}
    assert not decoder.finished


def test_openai_error_payload_and_error_event():
    with pytest.raises(ServerReported, match="boom"):
        OpenAIDecoder().message({"error": {"message": "boom", "code": 503}}, "message", 0.0)
    with pytest.raises(ServerReported):
        OpenAIDecoder().message({"message": "x"}, "error", 0.0)


def test_anthropic_usage_is_cumulative_not_summed():
    decoder = AnthropicDecoder()
    decoder.message({"type": "message_start", "message": {"usage": {"input_tokens": 5}}}, "", 0)
    decoder.message({"type": "message_delta", "delta": {}, "usage": {"output_tokens": 3}}, "", 0)
    decoder.message({"type": "message_delta", "delta": {}, "usage": {"output_tokens": 9}}, "", 0)
    assert decoder.usage == {"input_tokens": 5, "output_tokens": 9}


def test_server_messages_of_every_shape():
    assert server_message({"error": {"message": "m", "type": "t"}}) == "m (t)"
    assert server_message({"error": "plain"}) == "plain"
    assert server_message({"detail": [{"msg": "field required"}]}) == "field required"
    assert server_message({"message": "x"}) == "x"
    assert server_message("  text body ") == "text body"
    assert server_message({}) is None


# -- the rest ---------------------------------------------------------------------------


def test_watchdog_first_token_then_idle_limit():
    now = [100.0]
    dog = Watchdog(first_token=10, idle=2, clock=lambda: now[0])
    now[0] = 109
    assert not dog.expired and dog.remaining() == 1
    dog.progress()
    assert dog.ttft_ms == 9000 and dog.remaining() == 2
    now[0] = 111.5
    assert dog.expired and dog.remaining() == 0


def test_prompt_and_stdin_are_joined():
    assert join_prompt(["what", "failed?"], "log line\n") == "log line\n\nwhat failed?"
    assert join_prompt([], "only\n") == "only"
    assert join_prompt(["only"], "  \n") == "only"
