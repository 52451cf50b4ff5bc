"""SSE and NDJSON framing: the WHATWG rules, and any split of the bytes gives the same events."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streamcli.sources.chat.protocols.wire import NDJSONSplitter, SSEEvent, SSEParser, WireError


def parse(*chunks: bytes) -> list[tuple[str, str]]:
    parser = SSEParser()
    events = [e for chunk in chunks for e in parser.feed(chunk)] + parser.close()
    return [(e.event, e.data) for e in events]


def datas(*chunks: bytes) -> list[str]:
    return [data for _, data in parse(*chunks)]


def test_events_are_dispatched_on_a_blank_line_only():
    assert datas(b"data: a\n\ndata: b\n") == ["a"]  # b has no blank line: dropped at EOF


@pytest.mark.parametrize("end", [b"\n", b"\r\n", b"\r"])
def test_every_line_ending(end: bytes):
    stream = b"data: one" + end + end + b"event: x" + end + b"data: two" + end + end
    assert parse(stream) == [("message", "one"), ("x", "two")]


def test_crlf_split_across_reads_is_one_line_end():
    assert datas(b"data: a\r", b"\n\r", b"\ndata: b\r\n\r\n") == ["a", "b"]


def test_a_cr_alone_at_the_end_of_a_read_still_ends_the_line():
    assert datas(b"data: a\r", b"\rdata: b\r\r") == ["a", "b"]


def test_field_parsing_like_the_web_platform_tests():
    # wpt eventsource/format-field-parsing
    stream = (
        b"data:\x00\ndata:  2\rData:1\ndata\x00:2\ndata:1\r\x00data:4\nda-ta:3\rdata_5\n"
        b"data:3\rdata:\r\n data:32\ndata:4\n\n"
    )
    assert datas(stream) == ["\x00\n 2\n1\n3\n\n4"]


def test_data_without_a_value_and_multi_line_data():
    # wpt format-field-data
    assert datas(b"data:\n\ndata\ndata\n\ndata:test\n\n") == ["", "\n", "test"]


def test_comments_are_ignored_and_counted():
    parser = SSEParser()
    assert parser.feed(b": ping\n\n:\n\ndata: x\n\n") == [SSEEvent("message", "x")]
    assert parser.comments == 2


def test_one_leading_bom_is_stripped_a_later_one_is_not():
    # wpt format-bom and format-bom-2
    assert datas("\ufeffdata:1\n\n\ufeffdata:2\n\ndata:3\n\n".encode()) == ["1", "3"]
    assert datas("\ufeff\ufeffdata:1\n\ndata:2\n\ndata:3\n\n".encode()) == ["2", "3"]


def test_a_bom_split_across_reads_is_still_stripped():
    bom = "\ufeff".encode()
    assert datas(bom[:1], bom[1:] + b"data: x\n\n") == ["x"]


def test_only_one_space_after_the_colon_is_removed():
    assert datas(b"data:  two spaces\n\ndata:\ttab\n\n") == [" two spaces", "\ttab"]


def test_unicode_line_separators_are_not_line_ends():
    text = "a\u2028b\u2029c\x85d\x1ce"
    assert datas(f"data: {text}\n\n".encode()) == [text]


def test_a_character_split_across_reads_arrives_whole():
    raw = "data: é€🎉\n\n".encode()
    chunks = [raw[i : i + 1] for i in range(len(raw))]
    assert datas(*chunks) == ["é€🎉"]


def test_invalid_utf8_becomes_replacement_characters():
    assert datas(b"data: a\xffb\n\n") == ["a\ufffdb"]


def test_an_event_type_resets_after_dispatch_and_empty_event_is_message():
    assert parse(b"event: a\ndata: 1\n\ndata: 2\n\nevent:\ndata: 3\n\n") == [
        ("a", "1"),
        ("message", "2"),
        ("message", "3"),
    ]


def test_id_persists_and_an_id_with_nul_is_ignored():
    parser = SSEParser()
    parser.feed(b"id: 7\ndata: a\n\nid: 8\x00\ndata: b\n\n")
    assert parser.last_id == "7"


def test_a_final_done_without_its_blank_line_is_accepted():
    assert datas(b"data: x\n\ndata: [DONE]") == ["x", "[DONE]"]
    assert datas(b"data: x\n\ndata: [DONE]\n") == ["x", "[DONE]"]
    assert datas(b'data: x\n\ndata: {"half"') == ["x"]


def test_the_non_standard_error_field_becomes_an_error_event():
    # llama.cpp before PR #16109
    assert parse(b'error: {"message":"boom"}\n\n') == [("error", '{"message":"boom"}')]


def test_an_event_larger_than_the_limit_is_refused():
    parser = SSEParser(max_event=100)
    with pytest.raises(WireError):
        parser.feed(b"data: " + b"x" * 60 + b"\ndata: " + b"y" * 60 + b"\n")
    with pytest.raises(WireError):
        SSEParser(max_event=100).feed(b"data: " + b"z" * 200)


SSE_TEXT = st.lists(
    st.one_of(
        st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12).map(
            lambda s: "data: " + s.replace("\r", "").replace("\n", "")
        ),
        st.sampled_from([": ping", "event: e", "", "data", "id: 1", "retry: 10"]),
    ),
    max_size=20,
)


@settings(max_examples=200, deadline=None)
@given(lines=SSE_TEXT, ending=st.sampled_from(["\n", "\r\n", "\r"]), cuts=st.data())
def test_any_split_of_the_bytes_gives_the_same_events(lines, ending, cuts):
    raw = (ending.join(lines) + ending + ending).encode()
    whole = parse(raw)
    points = sorted(cuts.draw(st.lists(st.integers(0, len(raw)), max_size=8)))
    pieces = [raw[a:b] for a, b in zip([0, *points], [*points, len(raw)], strict=True)]
    assert parse(*pieces) == whole


# NDJSON


def split_lines(*chunks: bytes) -> list[bytes]:
    splitter = NDJSONSplitter()
    return [line for chunk in chunks for line in splitter.feed(chunk)] + splitter.close()


def test_ndjson_lines_are_split_on_newline_bytes_only():
    line = '{"a":"x\u2028y\u0085z"}'.encode()
    assert split_lines(line + b"\n" + line + b"\n") == [line, line]


def test_ndjson_lines_split_across_reads_are_joined_and_a_last_line_kept():
    assert split_lines(b'{"a":', b"1}\n{", b'"b":2}') == [b'{"a":1}', b'{"b":2}']


def test_ndjson_character_split_across_reads():
    raw = '{"t":"é🎉"}\n'.encode()
    assert split_lines(*[raw[i : i + 1] for i in range(len(raw))]) == [raw[:-1]]


def test_ndjson_line_limit():
    splitter = NDJSONSplitter(max_line=10)
    with pytest.raises(WireError):
        for _ in range(5):
            splitter.feed(b"xxxx")
