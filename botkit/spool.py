"""A durable local journal beside the bot (SQLite), so nothing is lost across restarts.

- `updates`: updates fetched from Telegram and not yet handled (botkit/updates.py).
- `intake`: support requests not yet filed (the dashboard was down); flushed by a job.
- `uploads`: files users sent, not yet uploaded to the dashboard (the bytes, once downloaded
  from Telegram, wait in the `<spool>_files` folder beside it); flushed after the intake.
- `edits`: users' edits of their messages not yet told to the dashboard; flushed after the
  intake, so an edit never reaches the dashboard before the message it changes.
- `sent`: the delivery journal of answers and outbox messages. `claimed` when the bot takes
  one (it may wait in the rate limiter's queue), `sending` right before the request leaves for
  Telegram, `sent` right after Telegram answers. At start-up a `claimed` row never left the bot
  (safe to send again), a `sending` row's outcome is unknown, a `sent` row is reported, never
  resent.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS intake (
    chat_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    payload TEXT NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (chat_id, message_id)
);
CREATE TABLE IF NOT EXISTS uploads (
    chat_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    payload TEXT NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (chat_id, message_id)
);
CREATE TABLE IF NOT EXISTS edits (
    chat_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    edit_date INTEGER NOT NULL,
    payload TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (chat_id, message_id, edit_date)
);
CREATE TABLE IF NOT EXISTS updates (
    update_id INTEGER PRIMARY KEY,
    payload TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sent (
    kind TEXT NOT NULL,          -- response | notification
    item_id INTEGER NOT NULL,
    state TEXT NOT NULL,         -- claimed | sending | sent
    telegram_message_id INTEGER,
    updated_at REAL NOT NULL,
    PRIMARY KEY (kind, item_id)
);
"""


@dataclass(frozen=True)
class JournalEntry:
    kind: str
    item_id: int
    state: str
    telegram_message_id: int | None


class Spool:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.Lock()
        self.conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode = WAL")
        # NORMAL: a commit survives the bot's crash, not the machine's. That is enough for the
        # delivery journal (the dashboard's claims already stop a second send); keep_request
        # alone syncs to disk, because until the dashboard has it the spool is its only copy.
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.executescript(SCHEMA)

    def _write_synced(self, sql: str, rows: list[tuple]) -> int:
        """Insert what only the spool holds, synced to disk (the rest may wait for NORMAL)."""
        with self.lock:
            self.conn.execute("PRAGMA synchronous = FULL")
            try:
                return self.conn.executemany(sql, rows).rowcount
            finally:
                self.conn.execute("PRAGMA synchronous = NORMAL")

    def _payloads(self, sql: str, *params: object) -> list[dict[str, Any]]:
        """The JSON payloads a query finds, decoded."""
        with self.lock:
            rows = self.conn.execute(sql, params).fetchall()
        return [json.loads(row[0]) for row in rows]

    def instance_id(self) -> str:
        """This bot's stable identity: the same after a restart, so a restarted bot keeps its
        polling grant instead of waiting for its own previous run to go stale."""
        with self.lock:
            self.conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('instance', ?)",
                (uuid.uuid4().hex[:12],),
            )
            return self.conn.execute("SELECT value FROM meta WHERE key = 'instance'").fetchone()[0]

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    # intake -------------------------------------------------------------------------------
    def keep_request(self, payload: dict[str, Any]) -> bool:
        """Keep a request until it is filed; False when it was kept already (a replay)."""
        row = (payload["chat_id"], payload["message_id"], json.dumps(payload), time.time())
        sql = (
            "INSERT OR IGNORE INTO intake (chat_id, message_id, payload, created_at)"
            " VALUES (?, ?, ?, ?)"
        )
        return self._write_synced(sql, [row]) == 1

    def keep_updates(self, payloads: dict[int, str]) -> None:
        """Updates just fetched from Telegram: until handled, the spool is their only copy."""
        self._write_synced(
            "INSERT OR IGNORE INTO updates (update_id, payload, created_at) VALUES (?, ?, ?)",
            [(update_id, payload, time.time()) for update_id, payload in payloads.items()],
        )

    def update_handled(self, update_id: int) -> None:
        with self.lock:
            self.conn.execute("DELETE FROM updates WHERE update_id = ?", (update_id,))

    def unhandled_updates(self) -> list[dict[str, Any]]:
        return self._payloads("SELECT payload FROM updates ORDER BY update_id")

    def pending_requests(self, limit: int = 50) -> list[dict[str, Any]]:
        return self._payloads("SELECT payload FROM intake ORDER BY created_at LIMIT ?", limit)

    def request_filed(self, chat_id: int, message_id: int) -> None:
        with self.lock:
            self.conn.execute(
                "DELETE FROM intake WHERE chat_id = ? AND message_id = ?", (chat_id, message_id)
            )

    def request_failed(self, chat_id: int, message_id: int) -> None:
        with self.lock:
            self.conn.execute(
                "UPDATE intake SET attempts = attempts + 1 WHERE chat_id = ? AND message_id = ?",
                (chat_id, message_id),
            )

    def holds_request(self, chat_id: int, message_id: int) -> bool:
        with self.lock:
            row = self.conn.execute(
                "SELECT 1 FROM intake WHERE chat_id = ? AND message_id = ?", (chat_id, message_id)
            ).fetchone()
        return row is not None

    # uploads ------------------------------------------------------------------------------
    @property
    def files_dir(self) -> Path:
        """Where downloaded files wait for their upload."""
        return self.path.with_name(self.path.stem + "_files")

    def keep_upload(self, payload: dict[str, Any]) -> None:
        """Keep a file to upload (its Telegram ids, not its bytes) until the dashboard has it."""
        row = (payload["chat_id"], payload["message_id"], json.dumps(payload), time.time())
        self._write_synced(
            "INSERT OR IGNORE INTO uploads (chat_id, message_id, payload, created_at)"
            " VALUES (?, ?, ?, ?)",
            [row],
        )

    def pending_uploads(self, limit: int = 20) -> list[dict[str, Any]]:
        return self._payloads("SELECT payload FROM uploads ORDER BY created_at LIMIT ?", limit)

    def upload_done(self, chat_id: int, message_id: int) -> None:
        with self.lock:
            self.conn.execute(
                "DELETE FROM uploads WHERE chat_id = ? AND message_id = ?", (chat_id, message_id)
            )

    # edits --------------------------------------------------------------------------------
    def keep_edit(self, payload: dict[str, Any]) -> None:
        """Keep a user's edit until the dashboard has it (the same edit kept once)."""
        key = (payload["chat_id"], payload["message_id"], payload["edit_date"])
        self._write_synced(
            "INSERT OR IGNORE INTO edits (chat_id, message_id, edit_date, payload, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [(*key, json.dumps(payload), time.time())],
        )

    def pending_edits(self, limit: int = 50) -> list[dict[str, Any]]:
        return self._payloads(
            "SELECT payload FROM edits ORDER BY edit_date, created_at LIMIT ?", limit
        )

    def edit_done(self, payload: dict[str, Any]) -> None:
        with self.lock:
            self.conn.execute(
                "DELETE FROM edits WHERE chat_id = ? AND message_id = ? AND edit_date = ?",
                (payload["chat_id"], payload["message_id"], payload["edit_date"]),
            )

    # delivery journal ---------------------------------------------------------------------
    def claimed(self, kind: str, item_id: int) -> None:
        self._mark(kind, item_id, "claimed")

    def sending(self, kind: str, item_id: int) -> None:
        """Called right before the request leaves for Telegram (from the rate limiter)."""
        self._mark(kind, item_id, "sending")

    def _mark(self, kind: str, item_id: int, state: str) -> None:
        with self.lock:
            self.conn.execute(
                "INSERT OR REPLACE INTO sent (kind, item_id, state, updated_at)"
                " VALUES (?, ?, ?, ?)",
                (kind, item_id, state, time.time()),
            )

    def entry(self, kind: str, item_id: int) -> JournalEntry | None:
        with self.lock:
            row = self.conn.execute(
                "SELECT kind, item_id, state, telegram_message_id FROM sent"
                " WHERE kind = ? AND item_id = ?",
                (kind, item_id),
            ).fetchone()
        return JournalEntry(*row) if row else None

    def sent(self, kind: str, item_id: int, telegram_message_id: int) -> None:
        with self.lock:
            self.conn.execute(
                "UPDATE sent SET state = 'sent', telegram_message_id = ?, updated_at = ?"
                " WHERE kind = ? AND item_id = ?",
                (telegram_message_id, time.time(), kind, item_id),
            )

    def settled(self, kind: str, item_id: int) -> None:
        """The dashboard has the outcome; forget it."""
        with self.lock:
            self.conn.execute("DELETE FROM sent WHERE kind = ? AND item_id = ?", (kind, item_id))

    def unsettled(self) -> list[JournalEntry]:
        with self.lock:
            rows = self.conn.execute(
                "SELECT kind, item_id, state, telegram_message_id FROM sent ORDER BY updated_at"
            ).fetchall()
        return [JournalEntry(*row) for row in rows]
