"""Benchmark 5, memory: resident size of the bot and of one dashboard worker after work, with
100,000 tickets in the database.

The desk runs live (gunicorn with 2 workers, the stand-in, the real bot). It then does what the
other benchmarks do, at smaller counts: a browsing session over every dashboard page (hundreds
of different tickets), a burst of API intake, tickets filed and paged through the bot. VmRSS
is read from /proc afterwards. Target: bot < 80 MB, worker < 150 MB (the larger worker counts).
"""

from __future__ import annotations

import time

from bench.context import Context
from bench.dataset import ANN_CHAT, Spec
from bench.intake import payload
from bench.live import LiveDesk
from bench.load import post_json
from bench.paging import inject
from bench.procs import API_TOKEN, rss_kb, wait_until
from bench.report import BenchResult, Metric, require
from bench.web import http_session

NAME = "memory"


def browse(base_url: str, middle: int, details: int, repeats: int) -> int:
    """A tech's session: the list pages, filters and searches, and many ticket pages."""
    session = http_session(base_url)
    paths = ["/", "/overview/live.json", "/tickets/", "/tickets/?status=open"]
    paths += ["/tickets/?status=resolved&priority=high", "/tickets/?q=printer"]
    paths += ["/tickets/?page=2", "/tickets/?assignee=none"]
    requests_made = 0
    for _ in range(repeats):
        for path in paths:
            response = session.get(base_url + path, timeout=30)
            require(response.status_code == 200, f"{path} answered {response.status_code}")
            requests_made += 1
    step = max(1, middle // details)
    for ticket in range(1, 2 * middle, 2 * step):
        response = session.get(f"{base_url}/tickets/{ticket}", timeout=30)
        require(response.status_code == 200, f"ticket {ticket} answered {response.status_code}")
        requests_made += 1
    return requests_made


def run(ctx: Context) -> BenchResult:
    result = BenchResult(NAME)
    workdir = ctx.directory(NAME)
    total = ctx.pick(100_000, 2_000)
    spec = Spec(history=total - total // 500, open=total // 500)  # as the dashboard benchmark
    dataset = ctx.datasets.copy(spec, workdir / "desk.db")
    tickets_via_bot = ctx.pick(200, 10)
    with LiveDesk(workdir, dataset, poll_interval=5.0) as desk:
        url = desk.dashboard.url
        pages = browse(url, dataset.middle_ticket(), ctx.pick(300, 20), ctx.pick(10, 2))
        intake = post_json(
            desk.dashboard.port,
            "/api/support_message",
            lambda i: payload(i) | {"text": f"memory intake {i}"},
            {"Authorization": f"Bearer {API_TOKEN}"},
            first=1,
            count=ctx.pick(500, 50),
            concurrency=4,
            time_limit=60,
        )
        require(set(intake.statuses) == {201}, f"intake answered {dict(intake.statuses)}")
        # Those tickets are due at once: the bot pages them while it also files new ones.
        inject(desk.telegram, tickets_via_bot, per_second=10.0)
        wait_until(
            lambda: desk.telegram.count_sends(ANN_CHAT) >= tickets_via_bot + len(intake.latencies),
            120 + len(intake.latencies) / 10,
            "every new ticket paged",
            interval=0.5,
            watch=desk.bot,
        )
        time.sleep(1)  # let the last reports land before reading the figures
        bot = rss_kb(desk.bot.pid)
        workers = {pid: rss_kb(pid) for pid in desk.dashboard.worker_pids()}
    require(len(workers) == 2, f"expected 2 gunicorn workers, found {len(workers)}")
    largest = max(workers.values(), key=lambda figures: figures["VmRSS"])
    result.metrics = [
        Metric(NAME, "bot RSS", bot["VmRSS"] / 1024, "MB", limit=80),
        Metric(NAME, "dashboard worker RSS (larger)", largest["VmRSS"] / 1024, "MB", limit=150),
        Metric(NAME, "bot peak RSS (VmHWM)", bot["VmHWM"] / 1024, "MB"),
        Metric(NAME, "worker peak RSS (VmHWM)", largest["VmHWM"] / 1024, "MB"),
    ]
    result.details = {
        "tickets": spec.tickets,
        "dashboard_requests": pages,
        "api_intake": len(intake.latencies),
        "tickets_via_bot": tickets_via_bot,
        "bot_kb": bot,
        "workers_kb": workers,
    }
    return result
