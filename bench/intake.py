"""Benchmark 1, ticket intake: POST /api/support_message under gunicorn (2 workers) on SQLite.

Target: >= 300 tickets/s with p99 < 50 ms, and >= half the throughput of the floor (a bare
Flask endpoint doing one raw sqlite3 INSERT, served the same way). Both servers run side by
side and are loaded in alternating rounds, so drift on a shared machine hits both alike.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from bench.context import Context
from bench.dataset import Spec
from bench.load import LoadResult, post_json
from bench.procs import API_TOKEN, DASHBOARD_APP, Gunicorn, clean_env, dashboard_env
from bench.report import BenchResult, Metric, require

NAME = "intake"
CONCURRENCY = 4  # two per worker: a worker never idles waiting for the client
ROUNDS = 2


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
        sent = dict.fromkeys(servers, 0)

        def load(name: str, count: int) -> LoadResult:
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
            # Answered requests only: the time limit may stop a round short, which is slow,
            # not wrong.
            sent[name] += len(outcome.latencies)
            require(not outcome.errors, f"{name}: connection errors {outcome.errors[:3]}")
            require(
                set(outcome.statuses) == {201},
                f"{name}: expected only 201 Created, got {dict(outcome.statuses)}",
            )
            return outcome

        for name in servers:  # warm both workers of both servers
            load(name, warmup)
        for _ in range(ROUNDS):
            for name in servers:
                totals[name] = totals[name].merge(load(name, per_round))

    filed = count_rows(desk.path, "support_messages")
    require(filed == sent["product"], f"{sent['product']} requests filed {filed} tickets")
    require(count_rows(floor_db, "tickets") == sent["floor"], "the floor lost inserts")

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
    ]
    result.details = {
        "requests": {name: len(t.latencies) for name, t in totals.items()},
        "concurrency": CONCURRENCY,
        "workers": 2,
        "p50_ms": {name: t.ms(50) for name, t in totals.items()},
        "p99_ms": {name: t.ms(99) for name, t in totals.items()},
    }
    return result


def count_rows(path: Path, table: str) -> int:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
