#!/usr/bin/env bash
# What docs/screenshot.png shows; made with the workshop's termshot tool:
#   termshot.py --out DIR --cols 80 --rows 36 -- bash docs/screenshot.sh
# (streamcli on PATH, the bundled model in the cache).
set -e
cd "$(dirname "$0")/.."
echo '$ streamcli replay examples/hello.jsonl'
streamcli replay examples/hello.jsonl
echo '$ streamcli chat -p local "What is the capital of France?"'
streamcli chat -p local "What is the capital of France?"
