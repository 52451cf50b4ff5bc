"""One measured request: its raw timestamps, and the metrics defined on them.

`StreamMeter` reads a response with the provider's own framing and decoder (the ones
`streamcli chat` uses) and notes, for every read that carried generated output (text,
reasoning or a tool-call fragment: role-only, ping and usage chunks do not count), the
time the read arrived and how many output events it held. Several events in one read
share its timestamp and count as one arrival (as genai-perf merges them), so a burst does
not invent near-zero gaps.

Definitions (`RequestRecord`), all from the moment the request was written:

- TTFT: to the first read carrying output.
- E2E: to the stream's final event (`[DONE]`, `message_stop`, `done: true`), else the end
  of the body.
- ICL (inter-chunk latency): the gaps between consecutive output arrivals. Not called ITL:
  a chunk may hold several tokens.
- N: the server's output token count (OpenAI usage, Anthropic usage, Ollama eval_count),
  else the number of output events (and then the unit is chunks).
- TPOT: (last output − first output) / (N − 1), for N >= 2.
- Start lag: from when the request was due to when the client began it. It is due when
  its slot was free (closed loop: the arrival of the end of the slot's previous answer),
  and not before its scheduled arrival (open loop). A client that keeps up starts its
  requests within a fraction of a millisecond; a saturated one starts them late, so it
  offers less load than asked, even though every timestamp it takes stays exact.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import orjson

from streamcli.bench.http1 import ResponseHandler
from streamcli.sources.chat.protocols.provider import Provider, ServerReported, server_message
from streamcli.sources.chat.protocols.reply import Malformed, Reply, open_reply

ERROR_BODY_LIMIT = 16 * 1024
_ROUND = 6  # saved timestamps: microseconds


class RequestFailed(Exception):
    """A request that ended without a complete answer; `kind` names why."""

    def __init__(self, message: str, kind: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.status = status


@dataclass
class RequestRecord:
    """The raw timestamps of one request (clock seconds) and what it returned."""

    index: int
    warmup: bool = False
    request_id: str | None = None  # the X-Request-ID it was sent with (a UUID)
    worker: int | None = None  # which worker process sent it (runs over Locust)
    scheduled: float | None = None  # open loop: when it was due
    due: float | None = None  # when it could have begun: scheduled, and its slot free
    started: float | None = None  # the request began (after any queueing, before connecting)
    connected: float | None = None
    sent: float | None = None  # the request was written: the origin of TTFT and E2E
    reused: bool = False  # over a kept-alive connection
    head: float | None = None  # response headers read
    status: int | None = None
    outputs: array = field(default_factory=lambda: array("d"))  # reads carrying output
    counts: array = field(default_factory=lambda: array("I"))  # output events per read
    final: float | None = None  # the stream's final event, else the end of the body
    done: float | None = None  # the request was over (success or not)
    server_tokens: int | None = None
    reason: str | None = None
    error: dict[str, Any] | None = None

    # -- metrics (seconds; None when undefined) ---------------------------------

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def chunks(self) -> int:
        return sum(self.counts)

    @property
    def ttft(self) -> float | None:
        if not self.outputs or self.sent is None:
            return None
        return self.outputs[0] - self.sent

    @property
    def e2e(self) -> float | None:
        if self.final is None or self.sent is None:
            return None
        return self.final - self.sent

    @property
    def gaps(self) -> list[float]:
        outputs = self.outputs
        return [b - a for a, b in pairwise(outputs)]

    def output_count(self, unit: str) -> int:
        """N in `unit` ("tokens": the server's count, "chunks": output events)."""
        if unit == "tokens" and self.server_tokens is not None:
            return self.server_tokens
        return self.chunks

    def tpot(self, unit: str) -> float | None:
        n = self.output_count(unit)
        if n < 2 or not self.outputs:
            return None
        return (self.outputs[-1] - self.outputs[0]) / (n - 1)

    @property
    def queue(self) -> float | None:
        if self.scheduled is None or self.started is None:
            return None
        return self.started - self.scheduled

    @property
    def start_lag(self) -> float | None:
        if self.due is None or self.started is None:
            return None
        return self.started - self.due

    @property
    def ended(self) -> float | None:
        """When the answer's end arrived (else when the request was over): its slot is
        free from then."""
        return self.final if self.final is not None else self.done

    @property
    def connect(self) -> float | None:
        if self.connected is None or self.started is None:
            return None
        return self.connected - self.started

    @property
    def cancelled(self) -> bool:
        """Cut off by Ctrl-C or SIGTERM: neither a success nor the server's failure."""
        return self.error is not None and self.error.get("kind") == "interrupted"

    # -- saving and loading -----------------------------------------------------

    def to_json(self, origin: float) -> dict[str, Any]:
        """Raw timestamps as seconds since `origin` (the run's start); outputs from `sent`."""

        def rel(value: float | None) -> float | None:
            return None if value is None else round(value - origin, _ROUND)

        item: dict[str, Any] = {
            "type": "bench_request",
            "t": rel(self.done),
            "index": self.index,
            "request_id": self.request_id,
            "warmup": self.warmup,
            "scheduled": rel(self.scheduled),
            "due": rel(self.due),
            "started": rel(self.started),
            "connected": rel(self.connected),
            "sent": rel(self.sent),
            "reused": self.reused,
            "head": rel(self.head),
            "status": self.status,
            "outputs": [round(t - (self.sent or 0.0), _ROUND) for t in self.outputs],
            "final": rel(self.final),
            "done": rel(self.done),
            "server_tokens": self.server_tokens,
            "chunks": self.chunks,
            "reason": self.reason,
            "error": self.error,
        }
        if any(count != 1 for count in self.counts):
            item["counts"] = list(self.counts)
        if self.worker is not None:
            item["worker"] = self.worker
        return item

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> RequestRecord:
        """A record saved by `to_json` (times relative to the saved run's start)."""

        def opt(key: str) -> float | None:
            value = item.get(key)
            return None if value is None else float(value)

        sent = opt("sent")
        outputs = array("d", ((sent or 0.0) + float(t) for t in item.get("outputs") or ()))
        counts = array("I", item.get("counts") or [1] * len(outputs))
        if len(counts) != len(outputs):
            raise ValueError("counts and outputs differ in length")
        return cls(
            index=int(item["index"]),
            request_id=item.get("request_id"),
            warmup=bool(item.get("warmup")),
            worker=item.get("worker"),
            scheduled=opt("scheduled"),
            due=opt("due"),
            started=opt("started"),
            connected=opt("connected"),
            sent=sent,
            reused=bool(item.get("reused")),
            head=opt("head"),
            status=item.get("status"),
            outputs=outputs,
            counts=counts,
            final=opt("final"),
            done=opt("done"),
            server_tokens=item.get("server_tokens"),
            reason=item.get("reason"),
            error=item.get("error"),
        )


class StreamMeter(ResponseHandler):
    """A `ResponseHandler` that decodes the reply with `provider` and fills `record`."""

    def __init__(self, provider: Provider, record: RequestRecord, url: str) -> None:
        self.provider = provider
        self.record = record
        self.url = url
        self.decoder = provider.decoder()
        self._reply: Reply | None = None
        self._error_body: list[bytes] | None = None
        self._error_size = 0
        self._scratch: list[Any] = []
        self.sent = ""  # what the request was (method, URL, headers, body), for errors

    def head(self, t: float, status: int, headers: dict[str, str]) -> None:
        self.record.head = t
        self.record.status = status
        if status >= 300:
            self._error_body = []
            return
        if headers.get("content-encoding", "identity").lower() not in ("identity", ""):
            raise RequestFailed(
                f"{self.url} sent a compressed body ({headers['content-encoding']})", "protocol"
            )
        wire = self.provider.wire
        self._reply = open_reply(headers.get("content-type"), wire, self.decoder)

    def data(self, t: float, data: bytes) -> None:
        if self._error_body is not None:
            if self._error_size < ERROR_BODY_LIMIT:
                self._error_body.append(data)
                self._error_size += len(data)
            return
        assert self._reply is not None
        decoder = self.decoder
        before = decoder.outputs
        out = self._scratch
        try:
            self._reply.feed(data, t, out)
        except ServerReported as exc:
            raise RequestFailed(_one_line(exc.message), exc.kind) from None
        except Malformed as exc:
            raise RequestFailed(f"malformed stream: {exc}", "protocol") from None
        out.clear()
        self._note(t, decoder.outputs - before)

    def end(self, t: float) -> None:
        record = self.record
        if self._error_body is not None:
            raise self._status_failure()
        assert self._reply is not None
        decoder = self.decoder
        before = decoder.outputs
        try:
            self._reply.close(t, self._scratch)
        except ServerReported as exc:
            raise RequestFailed(_one_line(exc.message), exc.kind) from None
        except Malformed as exc:
            raise RequestFailed(f"malformed stream: {exc}", "protocol") from None
        self._note(t, decoder.outputs - before)
        if record.final is None:
            record.final = t
        record.server_tokens = decoder.usage.get("output_tokens")
        record.reason = decoder.finish_reason or decoder.reason
        if not decoder.finished:
            got = f"after {decoder.outputs} output events" if decoder.outputs else "before output"
            raise RequestFailed(f"the stream ended without its final event {got}", "truncated")

    def _note(self, t: float, outputs: int) -> None:
        record = self.record
        if outputs:
            record.outputs.append(t)
            record.counts.append(outputs)
        if record.final is None and self.decoder.complete:
            record.final = t

    def _status_failure(self) -> RequestFailed:
        status = self.record.status or 0
        raw = b"".join(self._error_body or ())
        try:
            body: Any = orjson.loads(raw)
        except orjson.JSONDecodeError:
            body = raw.decode("utf-8", "replace")
        detail = server_message(body)
        if not detail and 400 <= status < 500:  # the server does not say what it refused
            what = f" for request {self.record.index}" + (f": {self.sent}" if self.sent else "")
            return RequestFailed(
                f"HTTP {status} with an empty body (the server gave no reason){what}",
                "http",
                status,
            )
        return RequestFailed(f"HTTP {status}: {_one_line(detail or 'no detail')}", "http", status)


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
