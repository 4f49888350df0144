"""The ticket list: filters, search, newest first, pagination, and speed with 100,000 tickets."""

from __future__ import annotations

import re
import time as timer
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from databases import backend
from flask import request
from flask_login import login_user

from desk import ticket_actions
from desk.ticket_list import ticket_query
from forms import TicketFilterForm
from models import Priority, Ticket, User


def numbers_on(response) -> list[int]:
    """Ticket numbers in the list, in the order shown."""
    page = response.get_data(as_text=True)
    return [
        int(n)
        for n in re.findall(r'<td class="col-number"><a href="/tickets/\d+">#(\d+)</a>', page)
    ]


@pytest.fixture
def desk_tickets(make_ticket, make_user, admin, clock, db):
    """Five tickets a minute apart: #1 resolved, #2 in progress (Bob), #3 urgent, #4 mine, #5."""
    bob = make_user("bob", full_name="Bob")
    texts = ["Printer jam", "VPN down", "Server on fire", "Mail bounces", "Need a mouse"]
    tickets = []
    for n, text in enumerate(texts):
        clock.advance(minutes=1)
        sender = {"username": "maria_k", "first_name": "Maria"} if n == 4 else {}
        tickets.append(make_ticket(text=text, **sender))
    ticket_actions.resolve(tickets[0], admin)
    ticket_actions.take(tickets[1], bob)
    ticket_actions.set_priority(tickets[2], Priority.URGENT, admin)
    ticket_actions.assign(tickets[3], admin, admin)
    db.session.commit()
    return tickets


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", [5, 4, 3, 2, 1]),
        ("?status=open", [5, 4, 3]),
        ("?status=in_progress", [2]),
        ("?status=resolved", [1]),
        ("?priority=urgent", [3]),
        ("?priority=urgent&status=resolved", []),
        ("?assignee=me", [4]),
        ("?assignee=none", [5, 3, 1]),
        ("?assignee=2", [2]),  # Bob
        ("?q=vpn", [2]),
        ("?q=FIRE", [3]),
        ("?q=maria", [5]),
        ("?q=@maria_k", [5]),
        ("?q=%234", [4]),  # "#4"
        ("?q=4", [4]),
        ("?q=%25", []),  # a literal "%" matches nothing, it is not a wildcard
        ("?q=_", [5]),  # only maria_k has an underscore: "_" is no wildcard either
        ("?status=bogus&priority=nope&assignee=x", [5, 4, 3, 2, 1]),  # mangled filters: all
    ],
)
def test_ticket_list_filters_newest_first(admin_client, desk_tickets, query, expected):
    response = admin_client.get(f"/tickets/{query or '?'}&sort=newest")
    assert response.status_code == 200
    assert numbers_on(response) == expected


def test_ticket_list_shows_status_priority_assignee_and_counts(admin_client, desk_tickets):
    page = admin_client.get("/tickets/").get_data(as_text=True)
    row = re.search(r'<tr class="priority-row-urgent"[^>]*>.*?</tr>', page, re.S).group(0)
    assert "Server on fire" in row
    assert "Urgent" in row and "Open" in row
    assert 'action="/tickets/3/take"' in row
    tabs = re.findall(r'>\s*([A-Z][a-z ]+) <span class="tab-count"[^>]*>(\d+)</span>', page)
    assert tabs == [
        ("All", "5"),
        ("Unresolved", "4"),
        ("Open", "3"),
        ("In progress", "1"),
        ("Resolved", "1"),
    ]


def test_ticket_list_says_when_nothing_matches(admin_client, desk_tickets):
    page = admin_client.get("/tickets/?q=nothing-like-this").get_data(as_text=True)
    assert "No tickets match these filters." in page


def test_ticket_list_keeps_filters_across_pages(admin_client, make_ticket, clock):
    for n in range(30):
        clock.advance(minutes=1)
        make_ticket(text=f"Printer {n}" if n % 2 else f"Scanner {n}")
    first = admin_client.get("/tickets/?sort=newest")
    assert numbers_on(first) == list(range(30, 5, -1))  # 25 per page
    assert "Page 1 of 2 · 30 tickets" in first.get_data(as_text=True)
    assert 'href="/tickets/?page=2&amp;sort=newest" rel="next"' in first.get_data(as_text=True)
    second = admin_client.get("/tickets/?page=2&sort=newest")
    assert numbers_on(second) == [5, 4, 3, 2, 1]
    filtered = admin_client.get("/tickets/?q=printer").get_data(as_text=True)
    assert "15 tickets" in filtered and "Page 1" not in filtered
    assert admin_client.get("/tickets/?page=99").status_code == 200


def test_ticket_list_shows_times_in_the_configured_zone(app, admin_client, make_ticket, clock):
    app.config["TIMEZONE"] = "America/New_York"
    make_ticket()
    page = admin_client.get("/tickets/").get_data(as_text=True)
    assert "25 Nov 04:00" in page  # 09:00 UTC


# ------------------------------------------------------------------------------ 100,000


def insert_tickets(db, count: int) -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    statuses = ["open", "in_progress", "resolved", "resolved"]
    priorities = ["low", "normal", "normal", "high", "urgent"]
    rows = [
        {
            "chat_id": 10_000 + n % 500,
            "chat_type": "private",
            "message_id": n,
            "sender_id": 10_000 + n % 500,
            "sender_username": f"user{n % 500}",
            "sender_first_name": "Sam",
            "text": f"Request {n}: the thing {n % 97} broke",
            "status": statuses[n % 4],
            "priority": priorities[n % 5],
            "assignee_id": 1 if n % 7 == 0 else None,
            "escalation_level": 0,
            "created_at": start + timedelta(minutes=n),
            "updated_at": start + timedelta(minutes=n),
        }
        for n in range(1, count + 1)
    ]
    db.session.execute(sa.insert(Ticket), rows)
    db.session.commit()


def query_plan(db, sql: str) -> str:
    if backend() == "postgresql":
        # A tiny table is cheapest to scan; forbid that to see whether an index gives the order.
        db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))
        return "\n".join(row[0] for row in db.session.execute(sa.text(f"EXPLAIN {sql}")))
    return "\n".join(row[-1] for row in db.session.execute(sa.text(f"EXPLAIN QUERY PLAN {sql}")))


@pytest.mark.parametrize(
    "query",
    ["?", "?status=open", "?priority=urgent", "?assignee=me", "?status=resolved&page=2000"],
)
def test_ticket_list_query_reads_an_index_in_order(admin_client, db, query):
    """No sort of the whole table: the newest-first order comes straight from an index."""
    with admin_client.application.test_request_context(f"/tickets/{query}&sort=newest"):
        login_user(db.session.get(User, 1))
        form = TicketFilterForm(request.args)
        form.clean()
        paginated = ticket_query(form).limit(25).offset(0)  # as db.paginate runs it
        sql = paginated.compile(db.engine, compile_kwargs={"literal_binds": True})
    plan = query_plan(db, str(sql))
    if backend() == "postgresql":
        # On an empty table PostgreSQL's estimates make sorting a page cheap, so only the
        # access path is checked here; the 100,000-ticket test below times the real thing.
        assert "Index Scan" in plan and "Seq Scan" not in plan, plan
    else:
        assert "USING INDEX" in plan
        assert "TEMP B-TREE" not in plan


@pytest.mark.slow
def test_ticket_list_stays_fast_with_100000_tickets(admin_client, db):
    insert_tickets(db, 100_000)
    for query in [
        "",
        "?status=open",
        "?priority=urgent&page=400",
        "?assignee=me",
        "?status=resolved&page=1500",
        "?q=broke",
        "?q=99999",
        "?q=thing+broke",
        "?sort=newest",
        "?sort=newest&status=resolved&page=1500",
        "?sort=due&page=100",
    ]:
        began = timer.perf_counter()
        response = admin_client.get(f"/tickets/{query}")
        elapsed = timer.perf_counter() - began
        assert response.status_code == 200
        assert elapsed < 1.5, f"{query or 'all'} took {elapsed:.2f}s"
    assert numbers_on(admin_client.get("/tickets/?sort=newest"))[:2] == [100_000, 99_999]
    assert numbers_on(admin_client.get("/tickets/?q=%2399999")) == [99_999]


@pytest.mark.parametrize("query", ["²", "#99999999999", "99999999999"])
def test_odd_numbers_in_the_search_are_searched_not_a_crash(admin_client, query):
    response = admin_client.get("/tickets/", query_string={"q": query})
    assert response.status_code == 200


def test_unknown_huge_ticket_id_is_a_404_page(admin_client):
    assert admin_client.get("/tickets/99999999999").status_code == 404
