"""The measurement core of `streamcli bench`: statistics, arrivals, objectives, records."""

from __future__ import annotations

import statistics
from array import array
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamcli.bench.endpoint_mode import Slo, summarize
from streamcli.bench.load import poisson_offsets
from streamcli.bench.measure import RequestRecord
from streamcli.bench.percentiles import percentile
from streamcli.bench.percentiles import summarize as describe
from streamcli.bench.synthetic import ChunkSizes, SyntheticConfig, SyntheticSource
from streamcli.errors import BadInput

# -- statistics -----------------------------------------------------------------------


def test_percentiles_interpolate_linearly_like_numpy():
    values = [15.0, 20.0, 35.0, 40.0, 50.0]
    assert percentile(values, 0) == 15.0
    assert percentile(values, 50) == 35.0
    assert percentile(values, 40) == pytest.approx(29.0)  # numpy.percentile(values, 40)
    assert percentile(values, 90) == pytest.approx(46.0)
    assert percentile(values, 100) == 50.0


def test_summary_of_a_sample():
    summary = describe([0.003, 0.001, 0.002, 0.004], scale=1000)
    assert summary is not None
    assert summary.count == 4
    assert summary.min == pytest.approx(1.0)
    assert summary.max == pytest.approx(4.0)
    assert summary.mean == pytest.approx(2.5)
    assert summary.p50 == pytest.approx(2.5)
    assert describe([]) is None


@given(st.lists(st.floats(min_value=-1e6, max_value=1e6), min_size=2, max_size=200))
def test_percentiles_agree_with_the_standard_library(values):
    s = describe(values)
    assert s is not None
    assert s.min <= s.p50 <= s.p90 <= s.p95 <= s.p99 <= s.max
    assert (s.min, s.max) == (min(values), max(values))
    # statistics.quantiles(method="inclusive") is numpy's linear interpolation
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    expected = (cuts[49], cuts[89], cuts[94], cuts[98])
    assert (s.p50, s.p90, s.p95, s.p99) == pytest.approx(expected, abs=1e-6)


# -- Poisson arrivals -----------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_poisson_arrivals_have_the_requested_mean_gap(seed):
    rate = 8.0
    offsets = poisson_offsets(4000, rate, seed)
    gaps = [b - a for a, b in pairwise(offsets)]
    assert offsets[0] == 0.0
    assert all(g >= 0 for g in gaps)
    assert statistics.fmean(gaps) == pytest.approx(1 / rate, rel=0.05)
    # exponential gaps: the standard deviation equals the mean
    assert statistics.pstdev(gaps) == pytest.approx(1 / rate, rel=0.1)


def test_poisson_arrivals_are_reproducible_by_seed():
    assert poisson_offsets(50, 3.0, 42) == poisson_offsets(50, 3.0, 42)
    assert poisson_offsets(50, 3.0, 42) != poisson_offsets(50, 3.0, 43)


# -- objectives (--slo) -----------------------------------------------------------------


def test_slo_parsing():
    assert Slo.parse("ttft=500,tpot=50,e2e=10000") == Slo(500.0, 50.0, 10000.0)
    assert Slo.parse("ttft:200") == Slo(ttft=200.0)  # vLLM's spelling
    for bad in ("", "ttft", "speed=3", "ttft=fast", "tpot=0", "e2e=-5"):
        with pytest.raises(BadInput):
            Slo.parse(bad)


def record(index: int, ttft: float, gap: float, chunks: int, tokens: int | None = None, **kw):
    sent = 10.0 + index
    outputs = array("d", (sent + ttft + i * gap for i in range(chunks)))
    return RequestRecord(
        index,
        started=sent,
        connected=sent,
        sent=sent,
        outputs=outputs,
        counts=array("I", [1] * chunks),
        final=outputs[-1] + 0.001,
        done=outputs[-1] + 0.002,
        server_tokens=tokens,
        **kw,
    )


def test_metrics_of_one_request():
    r = record(0, ttft=0.2, gap=0.02, chunks=11, tokens=21)
    assert r.ttft == pytest.approx(0.2)
    assert r.gaps == pytest.approx([0.02] * 10)
    assert r.e2e == pytest.approx(0.2 + 0.2 + 0.001)
    assert r.tpot("tokens") == pytest.approx(0.2 / 20)  # (last - first) / (N - 1), N = 21 tokens
    assert r.tpot("chunks") == pytest.approx(0.2 / 10)  # N = 11 chunks


def test_summary_counts_server_tokens_only_when_every_answer_has_them():
    with_counts = [record(i, 0.1, 0.01, 5, tokens=9) for i in range(3)]
    summary = summarize(with_counts)
    assert summary["token_source"] == "server" and summary["output_tokens"] == 27
    mixed = [*with_counts, record(3, 0.1, 0.01, 5)]
    summary = summarize(mixed)
    assert summary["token_source"] == "chunks" and summary["output_tokens"] == 20


def test_goodput_counts_requests_meeting_every_objective():
    records = [
        record(0, ttft=0.1, gap=0.01, chunks=5),
        record(1, ttft=0.3, gap=0.01, chunks=5),  # TTFT too slow
        record(2, ttft=0.1, gap=0.05, chunks=5),  # TPOT too slow
        record(3, ttft=0.1, gap=0.01, chunks=1),  # TPOT undefined (N = 1): counts as 0
        record(4, ttft=0.1, gap=0.01, chunks=5, error={"kind": "http", "message": "503"}),
    ]
    summary = summarize(records, Slo(ttft=200, tpot=20))
    assert summary["good"] == 2
    assert summary["errors"] == 1 and summary["error_kinds"] == {"http": 1}
    assert summary["goodput"] == pytest.approx(2 / summary["duration_s"], rel=1e-3)


def test_warmups_and_interrupted_requests_are_not_counted():
    records = [
        record(0, 5.0, 0.5, 5, warmup=True),
        record(1, 0.1, 0.01, 5),
        record(2, 0.1, 0.01, 2, error={"kind": "interrupted", "message": "Ctrl-C"}),
    ]
    summary = summarize(records)
    assert summary["requests"] == 1 and summary["errors"] == 0
    assert summary["ttft_ms"]["max"] == pytest.approx(100.0)


def test_a_record_survives_saving_and_loading():
    original = record(3, ttft=0.25, gap=0.03, chunks=4, tokens=8, scheduled=12.5)
    original.counts[2] = 3  # one read carried three output events
    loaded = RequestRecord.from_json(original.to_json(origin=10.0))
    assert loaded.index == 3
    assert loaded.ttft == pytest.approx(original.ttft, abs=1e-6)
    assert loaded.gaps == pytest.approx(original.gaps, abs=1e-6)
    assert loaded.e2e == pytest.approx(original.e2e, abs=1e-6)
    assert list(loaded.counts) == [1, 1, 3, 1]
    assert loaded.queue == pytest.approx(original.queue, abs=1e-6)


# -- the synthetic source ---------------------------------------------------------------


def test_chunk_sizes():
    assert ChunkSizes.parse("16") == ChunkSizes(16, 16)
    assert ChunkSizes.parse("4-64") == ChunkSizes(4, 64)
    for bad in ("0", "x", "8-4", "-3", "1-"):
        with pytest.raises(BadInput):
            ChunkSizes.parse(bad)


@pytest.mark.parametrize("content", ["text", "markdown", "log"])
def test_synthetic_chunks_have_the_sizes_asked_for(content):
    config = SyntheticConfig(chunks=3000, sizes=ChunkSizes(3, 40), content=content, seed=5)
    source = SyntheticSource(config)
    batches = list(source.batches())
    stream = [e for batch in batches for e in batch]
    chunks = stream[1:-1]
    assert stream[0]["type"] == "start" and stream[-1]["type"] == "end"
    assert len(chunks) == 3000
    assert all(3 <= len(e["text"].encode()) <= 40 for e in chunks)
    assert sum(len(e["text"].encode()) for e in chunks) == source.bytes_of(3000)
    assert source.bytes_of(10) == sum(len(e["text"].encode()) for e in chunks[:10])
    arrivals = source.arrivals(3000)
    assert len(arrivals) == 3000 and list(arrivals) == sorted(arrivals)
    assert {e["type"] for e in chunks} == {"line" if content == "log" else "text"}
    if content == "log":
        assert not any("\n" in e["text"] for e in chunks)
    again = [e["text"] for b in SyntheticSource(config).batches() for e in b if "text" in e]
    assert again == [e["text"] for e in chunks]  # the seed decides everything


def test_a_paced_source_sends_on_its_schedule():
    config = SyntheticConfig(chunks=20, sizes=ChunkSizes(8, 8), rate=400.0)
    source = SyntheticSource(config)
    batches = list(source.batches())
    stamps = [e["t"] for batch in batches for e in batch if e["type"] == "text"]
    assert [b - a for a, b in pairwise(stamps)] == pytest.approx([1 / 400] * 19, abs=2e-6)
    assert len(batches) > 1  # handed over as they fall due, not all at once
