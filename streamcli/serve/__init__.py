"""`streamcli serve`: the same streams to browsers (a live page, SSE of streamcli's events)
and to OpenAI clients (an OpenAI-compatible endpoint in front of any provider), many at
once in one process. Imported only by `serve`; needs the `serve` extra (Starlette,
uvicorn)."""
