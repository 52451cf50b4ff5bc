"""`streamcli chat`: a request to a language model, its answer as events.

The parts, each in its own module:

- `request.ChatRequest`: what is asked (messages, model, options), whatever the protocol.
- `protocols.provider.Provider`: one HTTP API; `protocols.ollama`, `.openai` and
  `.anthropic` implement it. A provider builds the HTTP `Call` for a request and gives a
  `Decoder` that turns the reply's parsed items into events (`text`, `reasoning`) and
  keeps the end's reason, usage and tool calls (`protocols.toolcalls.ToolCallParts`).
- `local`: the `local` provider, a model run in this process (no HTTP, no tools).
- `source.ChatSource`: the pipeline `Source` that sends a request with
  `protocols.http.Http` in an `exchange.Exchange` thread, retries (`retry`) before the
  first token, frames the body (`protocols.reply`, `protocols.wire`), watches for stalls
  (`watchdog`) and explains failures (`failures`), with keys masked (`redact`).
- `settings`, `keys`, `command`: flags, environment and config file → a ready source (an
  HTTP `ChatSource`, or the local model's; a guessed Ollama that is not there gives way
  to the local model).
- Tools (`streamcli.tools`): when a reply asks for them, `source` runs a round
  (`tools.round`) and sends the results back; `streamcli.transcript.Transcript` rebuilds the
  exchange's messages from its events, and each provider converts them to its wire shape.
- History (`streamcli.history`): `conversation` finds the conversation to continue and
  its earlier messages; `recorder.HistoryRecorder` is the tap that stores the exchange.

Nothing here imports httpx at import time of this package: `--help` stays fast.
"""
