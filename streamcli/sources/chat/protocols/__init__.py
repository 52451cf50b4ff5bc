"""The wire side of a chat: one module per API (`ollama`, `openai`, `anthropic`), the
HTTP session (`http`), framing a streamed body (`reply`, `wire`), assembling streamed
tool calls (`toolcalls`) and rebuilding an exchange's messages (`transcript`)."""
