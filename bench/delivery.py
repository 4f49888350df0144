"""Benchmark 8, the desk live both ways: (a) answer delivery, from a tech pressing Send on the
ticket page to the user's chat receiving the answer through the stand-in; (b) a new ticket on
an open ticket list, from its filing to the page's data announcing it (its `newest`).

The live desk (bench/live.py: gunicorn with 2 workers of 4 threads, the real bot, the
stand-in); the tech is a logged-in browser session posting the real answer form over HTTP.
Target: p50 <= 150 ms, p99 <= 500 ms. The floor beside it is the form's own round trip (the
POST and its redirect): no delivery can come before the dashboard has written the answer.
Before the long poll (botkit/answer_watch.py) the bot asked every 2 s, about 1.3 s on average.

(b) does what static/js/desk.js does on an open list, over HTTP in a logged-in session: asks
GET /live/mark every 500 ms and fetches /tickets/live.json when the mark moves. Target: <= 1 s
at the worst of the tickets filed; the floor is the filing's own round trip
(POST /api/support_message). Before the mark, the page refreshed every 5 s.
"""

from __future__ import annotations

import sqlite3
import threading
import time

from bench.context import Context
from bench.dataset import Spec
from bench.live import LiveDesk
from bench.procs import API_TOKEN
from bench.report import BenchResult, Metric, require
from bench.web import csrf_token, http_session

NAME = "delivery"
POLL_INTERVAL = 5.0  # ESCALATION_POLL_INTERVAL's default
PAUSE = 0.3  # seconds between one answer's delivery and the next Send
MARK_MS = 500  # what the pages' script waits between two marks (desk/web.py DEFAULT_MARK_MS)


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
        shown, filed = new_tickets_on_the_list(desk.dashboard.url, session, ctx.pick(20, 4))
    for pct, limit in ((50, 150), (99, 500)):
        result.metrics.append(
            Metric.at_percentile(
                NAME, f"answer delivered p{pct}", pct, delivered, posted, limit=limit
            )
        )
    result.metrics.append(
        Metric.at_percentile(
            NAME, "new ticket on the open list, max", 100, shown, filed, limit=1000
        )
    )
    result.metrics.append(
        Metric.at_percentile(NAME, "new ticket on the open list, p50", 50, shown, filed)
    )
    result.details = {"answers": answers, "chats": len(tickets), "new_tickets": len(shown)}
    return result


def new_tickets_on_the_list(base: str, session, count: int) -> tuple[list[float], list[float]]:
    """File `count` tickets a second and a bit apart while a page watches the list as its
    script does; per ticket, ms until the page's data holds it and ms of the filing itself."""
    seen: dict[int, float] = {}
    stop = threading.Event()
    failures: list[str] = []

    def watch() -> None:
        last = None
        while not stop.is_set():
            try:
                mark = session.get(f"{base}/live/mark", timeout=10).json()["mark"]
                if mark != last:
                    data = session.get(f"{base}/tickets/live.json", timeout=10).json()
                    at = time.time()
                    # The list's newest ticket: what the page announces (and beeps for),
                    # on whatever page of the queue the ticket sorts to.
                    if data["newest"] is not None:
                        seen.setdefault(data["newest"], at)
                    last = mark
            except Exception as error:  # noqa: BLE001 - reported as the benchmark's failure
                failures.append(repr(error))
                return
            stop.wait(MARK_MS / 1000)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    shown, filed = [], []
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    try:
        time.sleep(1)  # the page is open and has seen the list as it is
        for number in range(count):
            started = time.time()
            response = session.post(
                f"{base}/api/support_message",
                json={
                    "chat_id": 7_000_000 + number,
                    "message_id": 1,
                    "user_id": 7_000_000 + number,
                    "first_name": "Live",
                    "text": f"live-{number} the wifi is down",
                },
                headers=headers,
                timeout=10,
            )
            finished = time.time()
            require(response.status_code == 201, f"filing answered {response.status_code}")
            ticket_id = response.json()["id"]
            deadline = started + 10
            while ticket_id not in seen:
                require(not failures, f"the watching page failed: {failures[:1]}")
                require(time.time() < deadline, f"ticket {ticket_id} not on the list within 10 s")
                time.sleep(0.005)
            shown.append((seen[ticket_id] - started) * 1000)
            filed.append((finished - started) * 1000)
            time.sleep(1.1 + 0.13 * number % 0.5)  # not in step with the page's marks
    finally:
        stop.set()
        watcher.join(10)
    return shown, filed
