"""`streamcli chat`: a request to a language model, its answer as events.

The parts, each in its own module:

- `request.ChatRequest`: what is asked (messages, model, options), whatever the protocol.
- `provider.Provider`: one API; `ollama`, `openai` and `anthropic` implement it. A provider
  builds the HTTP `Call` for a request and gives a `Decoder` that turns the reply's parsed
  items into events (`text`, `reasoning`) and keeps the end's reason, usage and tool calls
  (`toolcalls.ToolCallParts`).
- `source.ChatSource`: the pipeline `Source` that sends a request with `http.Http` in an
  `exchange.Exchange` thread, retries (`retry`) before the first token, frames the body
  (`reply`, `wire`), watches for stalls (`watchdog`) and explains failures (`failures`),
  with keys masked (`redact`).
- `settings`, `keys`, `command`: flags, environment and config file → a ready source.

Nothing here imports httpx at import time of this package: `--help` stays fast.
"""
