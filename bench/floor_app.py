"""The intake floor: a bare Flask endpoint that does one raw sqlite3 INSERT per request.

Served exactly like the dashboard (`gunicorn -w 2 ... "bench.floor_app:create_app()"`) on a
SQLite file with the dashboard's pragmas (WAL, synchronous=NORMAL, busy_timeout), so the gap
between the two is what the product adds: validation, the ORM, idempotency, the JSON answer.
"""

from __future__ import annotations

import os
import sqlite3

from flask import Flask, jsonify, request

SCHEMA = """
CREATE TABLE IF NOT EXISTS tickets (
    id INTEGER PRIMARY KEY,
    chat_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    text TEXT NOT NULL
)
"""


def connect(path: str, schema: str | None = SCHEMA) -> sqlite3.Connection:
    """An autocommit connection with the dashboard's pragmas; creates the floor's table."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 15000")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    if schema:
        conn.execute(schema)
    return conn


def create_app() -> Flask:
    """The floor app; FLOOR_DATABASE is the SQLite file it writes to."""
    app = Flask(__name__)
    path = os.environ["FLOOR_DATABASE"]

    def database() -> sqlite3.Connection:
        # One connection per worker process, opened after gunicorn forks.
        if "conn" not in app.extensions:
            app.extensions["conn"] = connect(path)
        return app.extensions["conn"]

    @app.get("/ping")
    def ping():
        """Readiness probe for the benchmark."""
        return "ok"

    @app.post("/api/support_message")
    def support_message():
        """Store the message with one INSERT; answer its id."""
        payload = request.get_json()
        cursor = database().execute(
            "INSERT INTO tickets (chat_id, message_id, text) VALUES (?, ?, ?)",
            (payload["chat_id"], payload["message_id"], payload["text"]),
        )
        return jsonify({"id": cursor.lastrowid}), 201

    return app
