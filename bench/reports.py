"""Benchmark 6, the reports at scale: the /reports page over 90 days and each of its CSV
downloads, with 100,000 tickets filed in those 90 days (their answers, pages, team posts and
history lines) against the same requests with 100 tickets (the floor).

Issue #16: each report over 90 days at 100,000 tickets answers within 3x of the same report
at 100 tickets. Timed as the dashboard pages are (bench/dashboard.py: Flask's test client, a
logged-in session, TESTING off, the two datasets alternating); the statements each request
runs are counted on the large database, and with SQLite their query plans are printed.

On SQLite by default; `--database postgresql+psycopg://...` runs it on PostgreSQL (each
dataset in a schema of its own there, bench/databases.py).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Flask

from bench.context import Context
from bench.dashboard import Page, captured_sql, explain, print_plans, time_page
from bench.databases import apps_for
from bench.dataset import Spec
from bench.report import BenchResult, Metric
from bench.web import test_client_session

NAME = "reports"
DAYS = 90
PAGES = (
    Page("reports page, 90 days", f"/reports/?range={DAYS}", "Tickets per day"),
    Page("days.csv", f"/reports/days.csv?range={DAYS}", "open at end of day"),
    Page("times.csv", f"/reports/times.csv?range={DAYS}", "90th percentile (minutes)"),
    Page("techs.csv", f"/reports/techs.csv?range={DAYS}", "answers delivered"),
    Page("pages.csv", f"/reports/pages.csv?range={DAYS}", "person,pages"),
    Page("targets.csv", f"/reports/targets.csv?range={DAYS}", "tickets judged"),
)


def file_ticket(app: Flask, number: int) -> None:
    """A new ticket, now: what a busy desk does between two looks at the reports (today's
    row, and only it, must be computed again)."""
    from desk.extensions import db
    from models import Ticket

    with app.app_context():
        # The datasets are filled with explicit ids, which PostgreSQL's sequence never saw.
        last = db.session.scalar(sa.select(sa.func.max(Ticket.id))) or 0
        db.session.add(
            Ticket(
                id=last + 1,
                chat_id=4242,
                message_id=10_000_000 + number,
                sender_id=4242,
                sender_first_name="Busy",
                text=f"Between two reports {number}",
                created_at=datetime.now(UTC),
            )
        )
        db.session.commit()


def time_busy(app: Flask, client, page: Page, count: int, start: int) -> list[float]:
    samples = []
    for n in range(count):
        file_ticket(app, start + n)
        samples += time_page(client, page.path, page.expect, count=1)
    return samples


def statements_of(app: Flask, client, path: str) -> int:
    with captured_sql(app) as statements:
        client.get(path)
    return len(statements)


def run(ctx: Context) -> BenchResult:
    result = BenchResult(NAME)
    # Enough requests that one stall (a checkpoint, a collection) is not the p95.
    per_page = ctx.pick(20, 2)
    rounds = ctx.pick(2, 1)
    big_total = ctx.pick(100_000, 1_000)
    # Open tickets filed in the last two hours, the rest spread over the 90 days: mostly
    # resolved within the hour, every 50th still in progress (the backlog).
    specs = {
        "small": Spec(history=95, open=5, days=DAYS),
        "big": Spec(history=big_total - big_total // 500, open=big_total // 500, days=DAYS),
    }
    started = time.perf_counter()
    with apps_for(ctx, NAME, specs) as (apps, info):
        build_seconds = time.perf_counter() - started
        clients = {label: test_client_session(app) for label, app in apps.items()}
        samples: dict[tuple[str, str], list[float]] = {}
        plans = {}
        # The first report after the data went in computes every day's row: once, after an
        # upgrade or an import; reported, not judged.
        cold = {}
        for label in apps:
            cold[label] = time_page(clients[label], PAGES[0].path, PAGES[0].expect, count=1)[0]
        filed = 0
        for label in apps:
            samples["busy", label] = []
        for _ in range(rounds):
            for label in apps:
                samples["busy", label] += time_busy(
                    apps[label], clients[label], PAGES[0], max(per_page // rounds, 1), filed
                )
                filed += per_page
        for page in PAGES:
            for label in apps:
                time_page(clients[label], page.path, page.expect, count=1)  # warm-up
                samples[page.label, label] = []
            for _ in range(rounds):  # alternate, so drift hits both alike
                for label in apps:
                    samples[page.label, label] += time_page(
                        clients[label], page.path, page.expect, count=max(per_page // rounds, 1)
                    )
            if info["backend"] == "sqlite":
                plans[page.label] = explain(apps["big"], clients["big"], page.path)
            else:
                count = statements_of(apps["big"], clients["big"], page.path)
                plans[page.label] = {"queries": count, "plans": []}

    result.metrics.append(
        Metric.at_percentile(
            NAME,
            "reports page after a new ticket p95",
            95,
            [s * 1000 for s in samples["busy", "big"]],
            [s * 1000 for s in samples["busy", "small"]],
            # Not the target: this grows with the tickets of one day (1,100 here),
            # not of the period; shown so the cost of a busy desk is known.
            note=f"today's row computed again, {info['backend']}",
        )
    )
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
                ratio_limit=3,
                note=f"{plans[page.label]['queries']} queries, {info['backend']}",
            )
        )
    result.details = {
        "backend": info["backend"],
        "days": DAYS,
        "tickets": {label: spec.tickets for label, spec in specs.items()},
        "rows": info["rows"],
        "build_seconds": build_seconds,
        "first_report_seconds": cold,
        "plans": plans,
    }
    if info["backend"] == "sqlite":
        print_plans(plans)
    print(
        f"first report after filling: {cold['big']:.1f} s at {specs['big'].tickets:,} tickets,"
        f" {cold['small'] * 1000:.0f} ms at {specs['small'].tickets:,}"
    )
    return result
