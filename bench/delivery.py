"""Benchmark 8, answer delivery: from a tech pressing Send on the ticket page to the user's
chat receiving the answer through the stand-in.

The live desk (bench/live.py: gunicorn with 2 workers of 4 threads, the real bot, the
stand-in); the tech is a logged-in browser session posting the real answer form over HTTP.
Target: p50 <= 150 ms, p99 <= 500 ms. The floor beside it is the form's own round trip (the
POST and its redirect): no delivery can come before the dashboard has written the answer.
Before the long poll (botkit/answer_watch.py) the bot asked every 2 s, about 1.3 s on average.
"""

from __future__ import annotations

import sqlite3
import time

from bench.context import Context
from bench.dataset import Spec
from bench.live import LiveDesk
from bench.report import BenchResult, Metric, require
from bench.web import csrf_token, http_session

NAME = "delivery"
POLL_INTERVAL = 5.0  # ESCALATION_POLL_INTERVAL's default
PAUSE = 0.3  # seconds between one answer's delivery and the next Send


def open_tickets(database, count: int) -> list[tuple[int, int]]:
    """(ticket id, chat id) of open tickets, each from its own chat."""
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            "SELECT min(id), chat_id FROM support_messages WHERE status = 'open' "
            "GROUP BY chat_id ORDER BY 1 LIMIT ?",
            (count,),
        ).fetchall()
    require(len(rows) == count, f"the dataset has {len(rows)} open chats, not {count}")
    return rows


def run(ctx: Context) -> BenchResult:
    result = BenchResult(NAME)
    answers = ctx.pick(100, 10)
    warmup = ctx.pick(5, 2)
    workdir = ctx.directory(NAME)
    dataset = ctx.datasets.copy(Spec(history=ctx.pick(1_000, 100), open=20), workdir / "desk.db")
    tickets = open_tickets(dataset.path, 10)
    delivered, posted = [], []
    with LiveDesk(workdir, dataset, poll_interval=POLL_INTERVAL) as desk:
        session = http_session(desk.dashboard.url)
        tokens = {}
        for number in range(warmup + answers):
            ticket_id, chat_id = tickets[number % len(tickets)]
            url = f"{desk.dashboard.url}/tickets/{ticket_id}"
            if ticket_id not in tokens:
                tokens[ticket_id] = csrf_token(session.get(url, timeout=10).text)
            text = f"bench-answer-{number} have you tried turning it off and on again?"
            sends_before = len(desk.telegram.sends_to(chat_id))
            started = time.time()  # the stand-in's clock (Call.time)
            response = session.post(
                f"{url}/answer",
                data={"csrf_token": tokens[ticket_id], "text": text},
                timeout=10,
            )
            answered = time.time()
            require(response.status_code == 200, f"the answer form answered {response.status_code}")
            deadline = started + 10
            while len(desk.telegram.sends_to(chat_id)) == sends_before:
                require(time.time() < deadline, f"answer {number} not delivered within 10 s")
                desk.bot.check_alive()
                time.sleep(0.005)
            call = desk.telegram.sends_to(chat_id)[sends_before]
            require(f"bench-answer-{number} " in call.params["text"], "another message came")
            if number >= warmup:
                delivered.append((call.time - started) * 1000)
                posted.append((answered - started) * 1000)
            time.sleep(PAUSE)
    for pct, limit in ((50, 150), (99, 500)):
        result.metrics.append(
            Metric.at_percentile(
                NAME, f"answer delivered p{pct}", pct, delivered, posted, limit=limit
            )
        )
    result.details = {"answers": answers, "chats": len(tickets)}
    return result
