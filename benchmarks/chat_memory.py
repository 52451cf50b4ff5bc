"""Peak RSS of `streamcli chat` answering N one-character chunks from a real local server.

python benchmarks/chat_memory.py 4000000 [--json]     (CHAR=中 PROTO=openai to vary)
"""

import os
import pathlib
import resource
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests"))
from chat_support import chat_env
from servers import FakeServer
from servers import ollama as ol


def measure(n, *extra):
    char = os.environ.get("CHAR", "a")
    if os.environ.get("PROTO") == "openai":
        from servers import openai as oa

        block = oa.event(oa.chunk(char)) * 10000
        body = [block] * (n // 10000) + [
            oa.event(oa.chunk(None, finish="stop")),
            b"data: [DONE]\n\n",
        ]
        reply, path, prov, base = oa.sse(body), oa.PATH, "openai", "/v1"
    else:
        block = ol.line(ol.chunk(char)) * 10000
        body = [block] * (n // 10000) + [ol.line(ol.final())]
        reply, path, prov, base = ol.ndjson(body), ol.PATH, "ollama", ""
    home = pathlib.Path(tempfile.mkdtemp())
    with FakeServer() as server:
        server.route(path, reply, method="POST")
        env = chat_env(home, XDG_DATA_HOME=str(home), XDG_STATE_HOME=str(home))
        started = time.monotonic()
        with open("/dev/null", "wb") as null:
            p = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "streamcli",
                    "chat",
                    "hi",
                    "-m",
                    "m",
                    "-p",
                    prov,
                    "--base-url",
                    server.url + base,
                    *extra,
                ],
                stdout=null,
                stderr=subprocess.PIPE,
                env=env,
            )
            _, err = p.communicate()
        took = time.monotonic() - started
    return p.returncode, took, err[-300:]


if __name__ == "__main__":
    n = int(sys.argv[1])
    extra = sys.argv[2:]
    rc, took, err = measure(n, *extra)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(
        f"n={n} {' '.join(extra) or '(text)'}: exit {rc}, {took:.1f} s, "
        f"peak RSS {peak / 1024:.0f} MB {err!r}"
    )
