"""Benchmark 3, the escalation poller at scale.

(a) GET /api/escalations/due, timed server-side through Flask's test client: with 10,000 open
    tickets none due it must answer in < 10 ms (p95) and within 1.5x of the same call with 10
    open tickets (p50). Then 1, 10, 100 and 1,000 of the 10,000 are made due, to show the cost
    follows the due tickets, not the open ones.
(b) With 1,000 due, the real bot pages them: the rate must be >= 90% of what python-telegram-
    bot's AIORateLimiter (Telegram's ~30 messages/s) lets through, measured as the floor by
    sending as many messages through the same limiter to the same stand-in.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask

from bench.context import Context
from bench.dataset import BOB_CHAT, ESCALATION_TIMEOUT, Spec, dispose, make_app
from bench.live import LiveDesk
from bench.procs import API_TOKEN, BOT_TOKEN, wait_until
from bench.report import BenchResult, Metric, percentile, require
from bench.standin import Call, TimedStandIn, numbers_in

NAME = "poller"
HEADERS = {"Authorization": f"Bearer {API_TOKEN}"}
POLL_INTERVAL = 5.0  # ESCALATION_POLL_INTERVAL's default: the bot as operators run it
IDLE_GAP = 0.5  # seconds between two pages that no rate limiter explains


def run(ctx: Context) -> BenchResult:
    result = BenchResult(NAME)
    due_call(ctx, result)
    send_rate(ctx, result)
    return result


# -- (a) the due-escalations call -------------------------------------------------------------


def time_calls(app: Flask, calls: int, limit: int | None = None) -> tuple[list[float], int]:
    """Server-side seconds of `calls` due calls, and how many tickets the last one listed."""
    client = app.test_client()
    path = "/api/escalations/due" + (f"?limit={limit}" if limit else "")
    samples, listed = [], -1
    for _ in range(calls):
        started = time.perf_counter()
        response = client.get(path, headers=HEADERS)
        samples.append(time.perf_counter() - started)
        require(response.status_code == 200, f"due call answered {response.status_code}")
        listed = len(response.get_json()["tickets"])
    return samples, listed


def make_due(app: Flask, count: int) -> None:
    """Make the `count` oldest open tickets due (their level-1 page a timeout ago), the rest not."""
    from desk.extensions import db
    from models import Status, Ticket

    now = datetime.now(UTC)
    paged = now - ESCALATION_TIMEOUT - timedelta(minutes=1)
    with app.app_context():
        open_ids = sa.select(Ticket.id).where(Ticket.status == Status.OPEN)
        db.session.execute(
            sa.update(Ticket)
            .where(Ticket.id.in_(open_ids))
            .values(last_escalated_at=now, next_escalation_at=now + timedelta(days=1))
        )
        if count:
            due_ids = open_ids.order_by(Ticket.id).limit(count)
            db.session.execute(
                sa.update(Ticket)
                .where(Ticket.id.in_(due_ids.scalar_subquery()))
                .values(last_escalated_at=paged, next_escalation_at=paged + ESCALATION_TIMEOUT)
            )
        db.session.commit()
        db.session.remove()


def due_call(ctx: Context, result: BenchResult) -> None:
    workdir = ctx.directory(NAME)
    calls = ctx.pick(400, 40)
    rounds = ctx.pick(4, 2)
    big_open = ctx.pick(10_000, 1_000)
    small = make_app(ctx.datasets.copy(Spec(history=0, open=10), workdir / "open10.db").path)
    big_spec = Spec(history=0, open=big_open)
    big = make_app(ctx.datasets.copy(big_spec, workdir / "open-many.db").path)
    try:
        for app in (small, big):
            time_calls(app, 50)  # warm caches, compile statements
        samples: dict[str, list[float]] = {"small": [], "big": []}
        for _ in range(rounds):  # alternate, so drift hits both alike
            for label, app in (("small", small), ("big", big)):
                times, listed = time_calls(app, calls // rounds)
                require(listed == 0, f"{listed} tickets listed as due where none is")
                samples[label] += times
        scaling = []
        for due in (0, 1, 10, 100, ctx.pick(1_000, 200)):
            make_due(big, due)
            limit = 1_000 if due > 100 else None
            times, listed = time_calls(big, calls // 2, limit)
            require(listed == due, f"{due} due tickets, the call listed {listed}")
            scaling.append(
                {
                    "open": big_open,
                    "due": due,
                    "limit": limit or 100,
                    "p50_ms": percentile(times, 50) * 1000,
                    "p95_ms": percentile(times, 95) * 1000,
                }
            )
    finally:
        dispose(small)
        dispose(big)

    ms = {label: [t * 1000 for t in times] for label, times in samples.items()}
    result.metrics += [
        Metric.at_percentile(
            NAME, f"due call p95, {big_open:,} open, none due", 95, ms["big"], ms["small"], limit=10
        ),
        Metric.at_percentile(
            NAME,
            f"due call p50, {big_open:,} vs 10 open",
            50,
            ms["big"],
            ms["small"],
            ratio_limit=1.5,
        ),
    ]
    result.details["due_call_scaling"] = scaling
    print(f"due call with {big_open:,} open tickets, by the number due:")
    for row in scaling:
        print(
            f"  due {row['due']:>5} (limit {row['limit']:>4}): "
            f"p50 {row['p50_ms']:.2f} ms, p95 {row['p95_ms']:.2f} ms"
        )


# -- (b) paging 1,000 due tickets ---------------------------------------------------------------


def rate(calls: list[Call]) -> float:
    """Messages per second from the first to the last call."""
    require(len(calls) >= 2, "too few messages to measure a rate")
    return (len(calls) - 1) / (calls[-1].time - calls[0].time)


async def send_through_limiter(base_url: str, chat_id: int, count: int) -> None:
    """What the limiter allows: `count` messages at once through AIORateLimiter, as the bot
    configures it (botkit/application.py), with ApplicationBuilder's connection pool."""
    from telegram.ext import AIORateLimiter, ExtBot
    from telegram.request import HTTPXRequest

    bot: ExtBot[Any] = ExtBot(
        BOT_TOKEN,
        base_url=base_url,
        request=HTTPXRequest(connection_pool_size=256),
        rate_limiter=AIORateLimiter(max_retries=3),
    )
    async with bot:
        await asyncio.gather(*(bot.send_message(chat_id, f"floor {i}") for i in range(count)))


def limiter_floor(count: int) -> float:
    with TimedStandIn() as telegram:
        asyncio.run(send_through_limiter(telegram.base_url, BOB_CHAT, count))
        sent = telegram.sends_to(BOB_CHAT)
    require(len(sent) == count, f"the floor sent {len(sent)} of {count} messages")
    return rate(sent)


def send_rate(ctx: Context, result: BenchResult) -> None:
    due = ctx.pick(1_000, 60)
    workdir = ctx.directory(f"{NAME}-bot")
    spec = Spec(history=0, open=ctx.pick(10_000, 1_000) - due, due=due)
    dataset = ctx.datasets.copy(spec, workdir / "desk.db")
    floor = limiter_floor(due)
    with LiveDesk(workdir, dataset, poll_interval=POLL_INTERVAL) as desk:
        bound = due / 30 * 3 + 2 * POLL_INTERVAL + 30
        wait_until(
            lambda: desk.telegram.count_sends(BOB_CHAT) >= due,
            bound,
            f"{due} pages to the first backup",
            interval=0.5,
            watch=desk.bot,
        )
        time.sleep(1)  # any page beyond the due ones (a double page) would show up now
        pages = desk.telegram.sends_to(BOB_CHAT)
    by_ticket = numbers_in(pages, r"Ticket #(\d+)")
    first_due = spec.history + spec.open + 1
    require(len(pages) == due, f"{due} due tickets, {len(pages)} pages to the first backup")
    require(
        sorted(by_ticket) == list(range(first_due, first_due + due)),
        "the pages do not name each due ticket exactly once",
    )
    sent_rate = rate(pages)
    result.metrics.append(
        Metric(
            NAME,
            f"page rate, {due:,} due",
            sent_rate,
            "msg/s",
            floor=floor,
            ratio_limit=0.9,
            higher_is_better=True,
            note=f"ESCALATION_POLL_INTERVAL={POLL_INTERVAL:g}",
        )
    )
    seconds = pages[-1].time - pages[0].time
    # Where the time went: gaps between pages far beyond the limiter's 1/30 s spacing.
    gaps = [b.time - a.time for a, b in zip(pages, pages[1:], strict=False)]
    idle = sum(gap for gap in gaps if gap > IDLE_GAP)
    result.details["page_rate"] = {
        "due": due,
        "seconds": seconds,
        "rate": sent_rate,
        "limiter_floor": floor,
        "poll_interval": POLL_INTERVAL,
        "idle_gaps": sum(1 for gap in gaps if gap > IDLE_GAP),
        "idle_seconds": idle,
    }
    print(
        f"{due} pages in {seconds:.1f} s ({sent_rate:.1f}/s; limiter floor {floor:.1f}/s); "
        f"{idle:.1f} s of it in gaps longer than {IDLE_GAP:g} s between pages"
    )
