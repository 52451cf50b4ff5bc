"""The wire side of a chat: the interface every API implements (`provider`), one module
per API (`ollama`, `openai`, `anthropic`), the HTTP session (`http`), framing a streamed
body (`reply`, `wire`) and assembling streamed tool calls (`toolcalls`)."""
