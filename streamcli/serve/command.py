"""`streamcli serve`: start the chat, listen, print the address, serve until a signal.

Safe by default: it listens on 127.0.0.1; another address needs a key
(`STREAMCLI_SERVE_KEY` or `--api-key-file`, never a flag's value: it would show in `ps`).
Ctrl-C, SIGTERM or SIGHUP end every open stream with its `end` event (reason
`interrupted`), stop listening and exit within a second or two with 130, 143 or 129 —
the MCP servers shut down, no traceback (`server.py`).
"""

from __future__ import annotations

import contextlib
import socket
from typing import Any

from streamcli import errors
from streamcli.env import Environment
from streamcli.errors import BadInput, StreamcliError
from streamcli.serve.flags import ServeFlags
from streamcli.sources.chat.flags import ChatFlags

KEY_ENV = "STREAMCLI_SERVE_KEY"
GRACE = 2  # seconds the streams get to end, then the connections to close
MISSING = (
    "streamcli serve needs the serve extra, which is not installed: pip install 'streamcli[serve]'"
)


def run_serve(flags: ServeFlags, chat_flags: ChatFlags, env: Environment) -> int:
    """Serve until stopped; the exit status."""
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        errors.report(env.stderr, MISSING)
        return errors.FAILURE
    from streamcli.serve.guard import is_loopback
    from streamcli.signals import stop_signals_exit
    from streamcli.sources.chat.chat import Chat

    try:
        key = serve_key(flags, env)
        if not is_loopback(flags.host) and key is None:
            raise BadInput(
                f"--host {flags.host}: listening beyond this machine needs a key: set "
                f"{KEY_ENV} or give --api-key-file FILE"
            )
        listening = _listen(flags.host, flags.port)
        with stop_signals_exit():  # MCP servers are shut down however early it comes
            chat = Chat.open(chat_flags, env.environ, notices=env.stderr, keepalive=True)
            chat.warm()
    except StreamcliError as exc:
        errors.report(env.stderr, exc.message)
        return exc.exit_code
    except KeyboardInterrupt:
        return errors.INTERRUPTED
    with contextlib.closing(listening), contextlib.closing(chat):
        return _serve(flags, chat_flags, chat, key, listening, env)


def serve_key(flags: ServeFlags, env: Environment) -> str | None:
    """The key clients must show: `--api-key-file`, else STREAMCLI_SERVE_KEY, else none."""
    from streamcli.keys import read_key_file

    if flags.api_key_file is not None:
        return read_key_file(flags.api_key_file)
    return env.environ.get(KEY_ENV, "").strip() or None


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named: asyncio turns Nagle off (TCP_NODELAY) only on sockets that say
    # so, and without it each small event waits for the client's delayed ACK (40 ms).
    listening = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind((host, port))
    except OSError as exc:
        listening.close()
        raise StreamcliError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    listening.listen(2048)
    return listening


def _serve(
    flags: ServeFlags,
    chat_flags: ChatFlags,
    chat: Any,
    key: str | None,
    listening: socket.socket,
    env: Environment,
) -> int:
    import uvicorn

    from streamcli.serve.app import build_app
    from streamcli.serve.server import StreamServer, quiet_uvicorn
    from streamcli.serve.state import ServerState

    state = ServerState(chat, flags, env.environ, env.stderr, history=not chat_flags.no_history)
    options = {"host": flags.host, "key": key, "cors_origins": flags.cors_origins}
    app, guard = build_app(state, options)
    quiet_uvicorn(env.stderr)
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        lifespan="off",
        http="h11",
        loop="asyncio",
        ws="none",
        timeout_graceful_shutdown=GRACE,
    )
    server = StreamServer(config, state.runs, GRACE)
    port = listening.getsockname()[1]
    shown = f"[{flags.host}]" if ":" in flags.host else flags.host
    address = f"http://{shown}:{port}/"
    page = f"{address}?token={guard.page_token}" if key is not None else address
    env.stdout.write(
        f"streamcli serve: {page} (the page; OpenAI-compatible API: {address}v1) "
        "— Ctrl-C stops\n".encode()
    )
    env.stdout.flush()
    server.run(sockets=[listening])
    return server.status
