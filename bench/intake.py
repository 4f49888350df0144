"""Benchmark 1, ticket intake: POST /api/support_message under gunicorn (2 workers) on SQLite.

Target: >= 300 tickets/s with p99 < 50 ms, and >= half the throughput of the floor (a bare
Flask endpoint doing one raw sqlite3 INSERT, served the same way). Both servers run side by
side and are loaded in alternating rounds, so drift on a shared machine hits both alike.
"""

from __future__ import annotations

import sqlite3
import statistics
import time
from contextlib import closing
from pathlib import Path
from typing import Any

from bench import floor_app
from bench.context import Context
from bench.dataset import Spec
from bench.load import LoadResult, post_json
from bench.procs import API_TOKEN, DASHBOARD_APP, Gunicorn, clean_env, dashboard_env
from bench.report import BenchResult, Metric, require

NAME = "intake"
CONCURRENCY = 4  # two per worker: a worker never idles waiting for the client
ROUNDS = 2
FLOOR_RERUNS = 2  # rounds the floor may run again after failing a request of its own


def payload(index: int) -> dict[str, Any]:
    """A request as the bot posts it: each one a new Telegram message, so each files a ticket."""
    return {
        "chat_id": 200_000 + index % 1_000,
        "chat_type": "private",
        "message_id": index,
        "user_id": 200_000 + index % 1_000,
        "username": f"load{index % 1_000}",
        "first_name": "Load",
        "last_name": None,
        "chat_title": None,
        "text": f"The printer on floor {index % 9} is jammed (load test request {index})",
    }


def run(ctx: Context) -> BenchResult:
    result = BenchResult(NAME)
    warmup = ctx.pick(300, 30)
    per_round = ctx.pick(2_500, 100)
    time_limit = ctx.pick(60.0, 15.0)
    workdir = ctx.directory(NAME)
    desk = ctx.datasets.copy(Spec(history=0), workdir / "desk.db")
    floor_db = workdir / "floor.db"
    floor_db.unlink(missing_ok=True)
    headers = {"Authorization": f"Bearer {API_TOKEN}"}

    product_server = Gunicorn("dashboard", DASHBOARD_APP, dashboard_env(desk.path), workdir)
    floor_server = Gunicorn(
        "floor",
        "bench.floor_app:create_app()",
        clean_env(FLOOR_DATABASE=str(floor_db)),
        workdir,
        ready_path="/ping",
    )
    with product_server, floor_server:
        servers = {"product": product_server, "floor": floor_server}
        totals = {name: LoadResult() for name in servers}
        sent = dict.fromkeys(servers, 0)  # requests answered (each message id used once)
        filed = dict.fromkeys(servers, 0)  # requests answered 201 Created
        reruns: list[str] = []

        def load(name: str, count: int) -> LoadResult:
            # The product's failure breaks the benchmark; the floor's costs a round again (up
            # to FLOOR_RERUNS times), since a floor that failed a request measured nothing.
            attempts = FLOOR_RERUNS + 1 if name == "floor" else 1
            for attempt in range(1, attempts + 1):
                outcome = post_json(
                    servers[name].port,
                    "/api/support_message",
                    payload,
                    headers,
                    first=sent[name] + 1,
                    count=count,
                    concurrency=CONCURRENCY,
                    time_limit=time_limit,
                )
                # Answered requests only: the time limit may stop a round short, which is
                # slow, not wrong.
                sent[name] += len(outcome.latencies)
                filed[name] += outcome.statuses[201]
                wrong = outcome.errors or set(outcome.statuses) != {201}
                if not wrong:
                    return outcome
                what = f"connection errors {outcome.errors[:3]}, statuses {dict(outcome.statuses)}"
                require(attempt < attempts, f"{name}: expected only 201 Created: {what}")
                reruns.append(what)
            raise AssertionError("unreachable")

        for name in servers:  # warm both workers of both servers
            load(name, warmup)
        for _ in range(ROUNDS):
            for name in servers:
                totals[name] = totals[name].merge(load(name, per_round))

    storage = storage_costs(
        ctx.datasets.copy(Spec(history=0), workdir / "storage.db").path,
        workdir / "storage-floor.db",
        ctx.pick(500, 50),
    )

    rows = count_rows(desk.path, "support_messages")
    require(rows == filed["product"], f"{filed['product']} requests filed {rows} tickets")
    require(count_rows(floor_db, "tickets") == filed["floor"], "the floor lost inserts")

    product, floor = totals["product"], totals["floor"]
    result.metrics = [
        Metric(
            NAME,
            "throughput",
            product.throughput,
            "tickets/s",
            floor=floor.throughput,
            limit=300,
            ratio_limit=0.5,
            higher_is_better=True,
        ),
        Metric(NAME, "latency p99", product.ms(99), "ms", floor=floor.ms(99), limit=50),
        Metric(NAME, "latency p50", product.ms(50), "ms", floor=floor.ms(50)),
        Metric(
            NAME,
            "storage: raw INSERT+COMMIT, dashboard schema",
            storage["dashboard schema"],
            "ms",
            floor=storage["floor table"],
            note="no HTTP, no ORM: the table's indexes and search index against a bare table",
        ),
    ]
    result.details = {
        "requests": {name: len(t.latencies) for name, t in totals.items()},
        "concurrency": CONCURRENCY,
        "workers": 2,
        "floor_rounds_rerun": reruns,
        "p50_ms": {name: t.ms(50) for name, t in totals.items()},
        "p99_ms": {name: t.ms(99) for name, t in totals.items()},
    }
    return result


STORAGE_COLUMNS = (
    "chat_id, chat_type, message_id, sender_id, sender_username, sender_first_name, text,"
    " status, priority, escalation_level, created_at, updated_at, next_escalation_at"
)


def storage_costs(desk_db: Path, floor_db: Path, per_round: int) -> dict[str, float]:
    """Median ms of one raw sqlite3 INSERT + COMMIT of an intake row, in the dashboard's
    `support_messages` (its 8 indexes and the search index's trigger) and in the floor's bare
    table: what the storage alone costs each server, before HTTP, Flask or the ORM."""
    desk = floor_app.connect(str(desk_db), schema=None)
    floor = floor_app.connect(str(floor_db))
    now = "2026-01-01 00:00:00.000000"

    def into_desk(index: int) -> None:
        row = payload(index)
        desk.execute(
            f"INSERT INTO support_messages ({STORAGE_COLUMNS})"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 'open', 'normal', 0, ?, ?, ?)",
            (
                row["chat_id"],
                row["chat_type"],
                row["message_id"],
                row["user_id"],
                row["username"],
                row["first_name"],
                row["text"],
                now,
                now,
                now,
            ),
        )

    def into_floor(index: int) -> None:
        row = payload(index)
        floor.execute(
            "INSERT INTO tickets (chat_id, message_id, text) VALUES (?, ?, ?)",
            (row["chat_id"], row["message_id"], row["text"]),
        )

    timings: dict[str, list[float]] = {"dashboard schema": [], "floor table": []}
    index = 0
    with closing(desk), closing(floor):
        for _ in range(10):  # alternating rounds, as the servers are loaded
            for name, insert in (("dashboard schema", into_desk), ("floor table", into_floor)):
                started = time.perf_counter()
                for _ in range(per_round):
                    index += 1
                    insert(index)
                timings[name].append((time.perf_counter() - started) * 1000 / per_round)
    return {name: statistics.median(values) for name, values in timings.items()}


def count_rows(path: Path, table: str) -> int:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
