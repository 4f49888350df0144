"""Benchmark 2, the dashboard at scale: 100,000 tickets with their answers, pages, events and
follow-ups against the same pages with 100 tickets (the floor: cost must not grow with the
size of the history).

Each page is timed server-side through Flask's test client with a logged-in session (the
real login form, CSRF on, TESTING off). Target: p95 < 50 ms and within 3x of the 100-ticket
page. The SQL each page runs is captured and shown with SQLite's EXPLAIN QUERY PLAN, flagging
any full scan of a large table.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask

from bench.context import Context
from bench.databases import apps_for
from bench.dataset import Spec
from bench.report import BenchResult, Metric, require
from bench.web import test_client_session

NAME = "dashboard"
BIG_TABLES = ("support_messages", "support_responses", "notifications", "ticket_events")


@dataclass(frozen=True)
class Page:
    label: str
    path: str  # format string: {middle} is a history ticket halfway through
    expect: str  # text the answer must contain: proof it is the right page, not an error
    target: bool = True  # False: shown for context, no target in the issue


PAGES = (
    Page("overview", "/", "On call"),
    Page("ticket list, page 1", "/tickets/", "AB-"),
    Page("filtered list", "/tickets/?status=resolved&priority=high", "AB-"),
    Page("text search", "/tickets/?q=printer", "printer"),
    Page("ticket detail", "/tickets/{middle}", "AB-{middle:06d}"),
    Page("search, one match", "/tickets/?q=AB-{middle:06d}", "AB-{middle:06d}", target=False),
    Page("overview live.json", "/overview/live.json", '"recent"', target=False),
)


@contextmanager
def captured_sql(app: Flask) -> Iterator[list[tuple[str, Any]]]:
    """Every statement the app sends to the database while the block runs."""
    from desk.extensions import db

    statements: list[tuple[str, Any]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        statements.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def query_plan(app: Flask, statement: str, parameters: Any) -> list[str]:
    """The database's plan for a statement: SQLite's EXPLAIN QUERY PLAN indented as a tree,
    or PostgreSQL's EXPLAIN as it prints it."""
    from desk.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        if db.engine.dialect.name == "postgresql":
            rows = conn.exec_driver_sql(f"EXPLAIN {statement}", parameters).all()
            return [row[0] for row in rows]
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
    depth: dict[int, int] = {0: -1}
    lines = []
    for node, parent, _, detail in rows:
        depth[node] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node] + detail)
    return lines


def full_scans(plan: list[str]) -> list[str]:
    """Plan lines that read a whole large table row by row (no index to narrow or order it):
    SQLite's `SCAN t` without USING, PostgreSQL's `Seq Scan on t`."""
    scans = []
    for line in plan:
        match = re.match(r"\s*SCAN (\w+)(.*)", line)
        if match and match.group(1) in BIG_TABLES and "USING" not in match.group(2):
            scans.append(line.strip())
        match = re.search(r"Seq Scan on (\w+)", line)
        if match and match.group(1) in BIG_TABLES:
            scans.append(line.strip())
    return scans


def squash(sql: str, limit: int = 220) -> str:
    sql = " ".join(sql.split())
    # The column lists say nothing about the plan; keep the shape of the query.
    sql = re.sub(r"SELECT (?:(?!SELECT|FROM).){60,}? FROM", "SELECT ... FROM", sql)
    return sql if len(sql) <= limit else sql[: limit - 3] + "..."


def explain(app: Flask, client: Any, path: str) -> dict[str, Any]:
    with captured_sql(app) as statements:
        client.get(path)
    plans = []
    for statement, parameters in statements:
        if not statement.lstrip().upper().startswith("SELECT"):
            continue
        plan = query_plan(app, statement, parameters)
        plans.append({"sql": squash(statement), "plan": plan, "full_scans": full_scans(plan)})
    return {"queries": len(statements), "plans": plans}


def time_page(client: Any, path: str, expect: str, count: int) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.get(path)
        body = response.get_data(as_text=True)
        samples.append(time.perf_counter() - started)
        require(response.status_code == 200, f"{path} answered {response.status_code}")
        require(expect in body, f"{path} does not show {expect!r}")
    return samples


def run(ctx: Context) -> BenchResult:
    result = BenchResult(NAME)
    per_page = ctx.pick(200, 20)
    rounds = ctx.pick(4, 2)
    big_total = ctx.pick(100_000, 2_000)
    open_big = big_total // 500
    specs = {
        "small": Spec(history=95, open=5),
        "big": Spec(history=big_total - open_big, open=open_big),
    }
    with apps_for(ctx, NAME, specs) as (apps, info):
        clients = {label: test_client_session(app) for label, app in apps.items()}
        samples: dict[tuple[str, str], list[float]] = {}
        plans = {}
        for page in PAGES:
            targets = {}
            for label in apps:
                middle = max(1, specs[label].history // 2)  # Dataset.middle_ticket
                targets[label] = (
                    page.path.format(middle=middle),
                    page.expect.format(middle=middle),
                )
                time_page(clients[label], *targets[label], count=5)  # warm-up
                samples[page.label, label] = []
            for _ in range(rounds):  # alternate, so drift hits both alike
                for label in apps:
                    samples[page.label, label] += time_page(
                        clients[label], *targets[label], count=per_page // rounds
                    )
            plans[page.label] = explain(apps["big"], clients["big"], targets["big"][0])

    for page in PAGES:
        big = [s * 1000 for s in samples[page.label, "big"]]
        small = [s * 1000 for s in samples[page.label, "small"]]
        result.metrics.append(
            Metric.at_percentile(
                NAME,
                f"{page.label} p95",
                95,
                big,
                small,
                limit=50 if page.target else None,
                ratio_limit=3 if page.target else None,
                note=f"{plans[page.label]['queries']} queries",
            )
        )
    result.details = {
        "tickets": {label: spec.tickets for label, spec in specs.items()},
        "backend": info["backend"],
        "rows": info["rows"],
        "plans": plans,
    }
    print_plans(plans)
    return result


def print_plans(plans: dict[str, dict[str, Any]]) -> None:
    print("query plans on the large database (SELECTs each page runs):")
    for label, page in plans.items():
        print(f"-- {label}: {page['queries']} statements")
        seen = set()
        for entry in page["plans"]:
            if entry["sql"] in seen:
                continue
            seen.add(entry["sql"])
            flag = "  <-- FULL SCAN" if entry["full_scans"] else ""
            print(f"   {entry['sql']}{flag}")
            for line in entry["plan"]:
                print(f"      {line}")
