"""Conversations in SQLite: ``$XDG_DATA_HOME/streamcli/history.db`` (``~/.local/share/…``).

A conversation is a list of exchanges; an exchange is one `streamcli chat`: the prompt,
the system prompt, the provider and model, the answer, the messages after the prompt
(assistant turns with their tool calls, tool results, the final answer), the token
counts, the timings and how it ended (`status`):

- ``running``: it began and has not ended (or the process was killed meanwhile);
- ``complete``: the answer ended (`end_reason`: stop, length or tool_calls);
- ``interrupted``: Ctrl-C or a signal; what arrived is stored, marked so;
- ``failed``: the request failed; no assistant message is stored, only the error.

Continuing a conversation sends the prompts and messages of its complete exchanges, and
of interrupted ones with a note that the answer was cut off; failed and running ones are
left out. The database uses write-ahead logging, so several streamcli processes can
read and write at once (each write is one short transaction, waiting for the others),
and a process killed mid-write leaves the last committed state. The file is created
readable by its owner only: prompts can hold secrets.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import orjson

from streamcli.errors import StreamcliError
from streamcli.paths import data_dir, open_private

P = ParamSpec("P")
R = TypeVar("R")

SCHEMA_VERSION = 1
BUSY_TIMEOUT = 15.0  # seconds a write waits for another process's
INTERRUPTED_NOTE = "[interrupted: this answer is incomplete]"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id INTEGER PRIMARY KEY,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS exchanges (
    id INTEGER PRIMARY KEY,
    conversation INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    started REAL NOT NULL,
    finished REAL,
    status TEXT NOT NULL,
    end_reason TEXT,
    provider TEXT,
    model TEXT,
    system TEXT,
    prompt TEXT NOT NULL,
    answer TEXT NOT NULL DEFAULT '',
    messages TEXT NOT NULL DEFAULT '[]',
    tool_calls INTEGER NOT NULL DEFAULT 0,
    input_tokens INTEGER,
    output_tokens INTEGER,
    ttft_ms REAL,
    duration_ms REAL,
    error TEXT
);
CREATE INDEX IF NOT EXISTS exchanges_of_conversation ON exchanges (conversation, id);
CREATE INDEX IF NOT EXISTS conversations_by_update ON conversations (updated, id);
"""

EXCHANGE_FIELDS = (
    "id",
    "started",
    "finished",
    "status",
    "end_reason",
    "provider",
    "model",
    "system",
    "prompt",
    "answer",
    "messages",
    "tool_calls",
    "input_tokens",
    "output_tokens",
    "ttft_ms",
    "duration_ms",
    "error",
)


class HistoryError(StreamcliError):
    """The history database cannot be used."""

    kind = "history"


@dataclass(frozen=True)
class ConversationSummary:
    """One conversation in the list."""

    id: int
    created: float
    updated: float
    exchanges: int
    first_prompt: str
    model: str | None
    status: str | None  # the last exchange's


def history_path(environ: Mapping[str, str]) -> Path:
    return data_dir(environ) / "history.db"


def _damage_reported(method: Callable[P, R]) -> Callable[P, R]:
    """A `History` method whose database errors (a damaged file) become one `HistoryError`
    that names the file and what to do."""

    @functools.wraps(method)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except (sqlite3.Error, orjson.JSONDecodeError) as exc:
            history = args[0]
            assert isinstance(history, History)
            raise damaged(history.path, exc) from None

    return guarded


def damaged(path: Path, exc: BaseException) -> HistoryError:
    """The error for a history database that cannot be read or written."""
    if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
        return HistoryError(f"the history {path} is locked by another process: {exc}")
    if "newer streamcli" in str(exc):
        return HistoryError(f"cannot use the history {path}: {exc}")
    return HistoryError(
        f"cannot use the history {path}: {_reason(exc)}; the file may be damaged: move it "
        f"aside (a new history is started) or try `sqlite3 {path} .recover`"
    )


class History:
    """The history database: conversations and their exchanges (database errors in any
    method: `damaged`)."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path

    @classmethod
    def open(cls, path: Path) -> History:
        """Open (creating if needed) the database at `path`; raises `HistoryError`."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if path.is_symlink():  # never follow one: its target would get the history
                raise HistoryError(f"the history {path} is a symbolic link: refused")
            if not path.exists():
                os.close(open_private(path))
            connection = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as exc:
            raise HistoryError(f"cannot open the history {path}: {_reason(exc)}") from None
        history = cls(connection, path)
        try:
            _when_unlocked(history._prepare)
        except sqlite3.Error as exc:
            connection.close()
            raise damaged(path, exc) from None
        return history

    def _prepare(self) -> None:
        db = self._db
        db.execute("PRAGMA foreign_keys = ON")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(
                f"it was written by a newer streamcli (schema {version}; this one knows "
                f"{SCHEMA_VERSION})"
            )
        if db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        if version < SCHEMA_VERSION:
            with self._writing():
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.close()

    @contextlib.contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once so that concurrent writers queue up."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    # -- conversations -------------------------------------------------------------

    @_damage_reported
    def latest(self) -> int | None:
        """The conversation with the most recent exchange."""
        row = self._db.execute(
            "SELECT id FROM conversations ORDER BY updated DESC, id DESC LIMIT 1"
        ).fetchone()
        return row[0] if row else None

    @_damage_reported
    def exists(self, conversation: int) -> bool:
        query = "SELECT 1 FROM conversations WHERE id = ?"
        return self._db.execute(query, (conversation,)).fetchone() is not None

    @_damage_reported
    def earlier(self, conversation: int) -> tuple[list[dict[str, Any]], str | None]:
        """The messages to send before a new prompt, and the last system prompt."""
        rows = self._db.execute(
            "SELECT prompt, messages, status, system FROM exchanges "
            "WHERE conversation = ? ORDER BY id",
            (conversation,),
        ).fetchall()
        messages: list[dict[str, Any]] = []
        system = None
        for prompt, stored, status, exchange_system in rows:
            if status not in ("complete", "interrupted"):
                continue
            system = exchange_system
            after = orjson.loads(stored)
            if status == "interrupted":
                after = marked_interrupted(after)
            messages.append({"role": "user", "content": prompt})
            messages.extend(after)
        return messages, system

    @_damage_reported
    def summaries(self, limit: int | None = 20) -> list[ConversationSummary]:
        """The conversations, the most recently used first (`limit` None: all)."""
        rows = self._db.execute(
            """
            SELECT c.id, c.created, c.updated,
                (SELECT COUNT(*) FROM exchanges e WHERE e.conversation = c.id),
                (SELECT prompt FROM exchanges e WHERE e.conversation = c.id
                    ORDER BY e.id LIMIT 1),
                (SELECT model FROM exchanges e WHERE e.conversation = c.id
                    ORDER BY e.id DESC LIMIT 1),
                (SELECT status FROM exchanges e WHERE e.conversation = c.id
                    ORDER BY e.id DESC LIMIT 1)
            FROM conversations c ORDER BY c.updated DESC, c.id DESC LIMIT ?
            """,
            (-1 if limit is None else limit,),
        ).fetchall()
        return [ConversationSummary(r[0], r[1], r[2], r[3], r[4] or "", r[5], r[6]) for r in rows]

    @_damage_reported
    def conversation(self, conversation: int) -> dict[str, Any] | None:
        """A whole conversation as a JSON-ready dict, or None when there is none."""
        row = self._db.execute(
            "SELECT id, created, updated FROM conversations WHERE id = ?", (conversation,)
        ).fetchone()
        if row is None:
            return None
        exchanges = []
        for values in self._db.execute(
            f"SELECT {', '.join(EXCHANGE_FIELDS)} FROM exchanges "
            "WHERE conversation = ? ORDER BY id",
            (conversation,),
        ):
            exchange = dict(zip(EXCHANGE_FIELDS, values, strict=True))
            exchange["messages"] = orjson.loads(exchange["messages"])
            exchanges.append(exchange)
        return {"id": row[0], "created": row[1], "updated": row[2], "exchanges": exchanges}

    @_damage_reported
    def delete(self, conversation: int) -> bool:
        with self._writing() as db:
            db.execute("DELETE FROM exchanges WHERE conversation = ?", (conversation,))
            gone = db.execute("DELETE FROM conversations WHERE id = ?", (conversation,))
            return gone.rowcount > 0

    # -- exchanges -------------------------------------------------------------------

    @_damage_reported
    def forget(self, exchange: int) -> None:
        """Delete one exchange (a session's `/undo`), and its conversation when that was
        its only exchange: no empty conversation is left in the list."""
        with self._writing() as db:
            row = db.execute(
                "SELECT conversation FROM exchanges WHERE id = ?", (exchange,)
            ).fetchone()
            db.execute("DELETE FROM exchanges WHERE id = ?", (exchange,))
            if row is not None:
                db.execute(
                    "DELETE FROM conversations WHERE id = ? AND NOT EXISTS "
                    "(SELECT 1 FROM exchanges WHERE conversation = ?)",
                    (row[0], row[0]),
                )

    @_damage_reported
    def new_conversation(self) -> int:
        """A new, empty conversation's id (a server names it before the first answer
        is stored in it)."""
        now = time.time()
        with self._writing() as db:
            number = db.execute(
                "INSERT INTO conversations (created, updated) VALUES (?, ?)", (now, now)
            ).lastrowid
        assert number is not None
        return number

    @_damage_reported
    def begin(
        self,
        conversation: int | None,
        *,
        prompt: str,
        system: str | None,
        provider: str | None,
        model: str | None,
    ) -> tuple[int, int]:
        """Store a new exchange as running (in a new conversation when None); returns
        (conversation, exchange)."""
        now = time.time()
        with self._writing() as db:
            if conversation is None or not self.exists(conversation):
                conversation = db.execute(
                    "INSERT INTO conversations (created, updated) VALUES (?, ?)", (now, now)
                ).lastrowid
            else:
                db.execute("UPDATE conversations SET updated = ? WHERE id = ?", (now, conversation))
            exchange = db.execute(
                "INSERT INTO exchanges (conversation, started, status, provider, model, "
                "system, prompt) VALUES (?, ?, 'running', ?, ?, ?, ?)",
                (conversation, now, provider, model, system, prompt),
            ).lastrowid
        assert conversation is not None and exchange is not None
        return conversation, exchange

    @_damage_reported
    def finish(self, exchange: int, **fields: Any) -> None:
        """Store how an exchange ended (any of `EXCHANGE_FIELDS`)."""
        if "messages" in fields:
            fields["messages"] = orjson.dumps(fields["messages"]).decode()
        fields.setdefault("finished", time.time())
        names = [name for name in fields if name in EXCHANGE_FIELDS and name != "id"]
        assignments = ", ".join(f"{name} = ?" for name in names)
        with self._writing() as db:
            db.execute(
                f"UPDATE exchanges SET {assignments} WHERE id = ?",
                [fields[name] for name in names] + [exchange],
            )
            db.execute(
                "UPDATE conversations SET updated = ? WHERE id = "
                "(SELECT conversation FROM exchanges WHERE id = ?)",
                (fields["finished"], exchange),
            )


def _when_unlocked(action: Callable[[], None], wait: float = BUSY_TIMEOUT) -> None:
    """Run `action`, again while the database is locked, for up to `wait` seconds.

    Switching a new database to write-ahead logging does not wait for other processes
    the way a write transaction does: it fails at once while another one holds a lock.
    """
    deadline = time.monotonic() + wait
    pause = 0.002
    while True:
        try:
            return action()
        except sqlite3.OperationalError as exc:
            locked = "locked" in str(exc) or "busy" in str(exc)
            if not locked or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def marked_interrupted(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An interrupted exchange's messages, ending with a note that the answer is cut off."""
    if messages and messages[-1].get("role") == "assistant" and not messages[-1].get("tool_calls"):
        last = messages[-1]
        text = f"{last.get('content', '')}\n\n{INTERRUPTED_NOTE}".lstrip()
        return [*messages[:-1], {**last, "content": text}]
    return [*messages, {"role": "assistant", "content": INTERRUPTED_NOTE}]


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc)
