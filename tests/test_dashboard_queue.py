"""The ticket list as a queue that sorts itself: most pressing first, the other orders, every
word of a search in any order, sender and date filters, tab counts under the filters, My
tickets, the live endpoint, and a bounded number of statements per page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from databases import backend
from flask import request
from test_dashboard_tickets import numbers_on

from desk import search_index, ticket_actions, ticket_list
from desk.extensions import db as _db
from forms import TicketFilterForm
from models import Priority


def shown(client, path: str, **args: str) -> list[int]:
    response = client.get(path, query_string=args)
    assert response.status_code == 200
    return numbers_on(response)


def tab_counts(client, path: str) -> dict[str, int]:
    page = client.get(path).get_data(as_text=True)
    return {k: int(v) for k, v in re.findall(r'data-count="(\w+)">(\d+)<', page)}


@pytest.fixture
def queue(make_ticket, admin, clock, db):
    """#1 urgent filed 16 h ago (its 15-minute answer target long breached), #2 normal filed
    10 h ago (4 h target: breached), #3 high filed 30 min ago and answered, #4 low filed
    20 min ago, #5 normal filed 5 min ago, #6 resolved normal."""
    tickets = {}

    def at(minutes_ago: int, text: str, priority: Priority = Priority.NORMAL):
        clock.current = now - timedelta(minutes=minutes_ago)
        ticket = make_ticket(text=text)
        ticket.priority = priority
        db.session.commit()
        return ticket

    now = clock.current
    tickets["urgent"] = at(16 * 60, "Server room flooding", Priority.URGENT)
    tickets["old_normal"] = at(10 * 60, "Printer jam")
    tickets["high"] = at(30, "VPN down", Priority.HIGH)
    tickets["low"] = at(20, "A new mouse, please", Priority.LOW)
    tickets["new_normal"] = at(5, "Outlook keeps asking for my password")
    tickets["resolved"] = at(3, "Already fixed")
    clock.current = now
    ticket_actions.answer(tickets["high"], "Looking", admin)
    ticket_actions.resolve(tickets["resolved"], admin)
    db.session.commit()
    return tickets


def test_a_16_hour_old_urgent_ticket_sits_above_a_5_minute_old_normal_one(admin_client, queue):
    # Past its SLA or urgent first (#1 urgent, #2 breached), soonest due first; then the others
    # by their due moment: #3 high (answered: resolution due in 7.5 h), #5 normal (answer in
    # 3 h 55), #4 low (answer due in 23 h 40); resolved last.
    assert shown(admin_client, "/tickets/") == [1, 2, 5, 3, 4, 6]
    assert shown(admin_client, "/tickets/", sort="queue") == [1, 2, 5, 3, 4, 6]


def test_the_queue_follows_the_clock(admin_client, queue, clock):
    clock.advance(hours=4)  # #5's four-hour answer target has passed now
    assert shown(admin_client, "/tickets/")[:3] == [1, 2, 5]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("oldest", [1, 2, 3, 4, 5, 6]),
        ("newest", [6, 5, 4, 3, 2, 1]),
        ("priority", [1, 3, 2, 5, 6, 4]),  # urgent, high, normal oldest first, low
        # Due: #1 09:15 yesterday-ish, #2 (10 h - 4 h), #6 resolved (normal 2 d: resolution),
        # #5 answer in 3 h 55, #3 resolution (8 h), #4 answer (24 h).
        ("due", [1, 2, 5, 3, 4, 6]),
        ("bogus", [1, 2, 5, 3, 4, 6]),  # a mangled sort is the default
    ],
)
def test_each_sort(admin_client, queue, sort, expected):
    assert shown(admin_client, "/tickets/", sort=sort) == expected


def test_sort_by_due_puts_tickets_without_a_target_last(admin_client, queue, admin, db):
    from desk import runtime_settings

    for key in ("sla_first_answer_urgent", "sla_resolve_urgent"):
        runtime_settings.set_int(key, 0, admin.id)
    db.session.commit()
    assert shown(admin_client, "/tickets/", sort="due")[-1] == 1


def test_sort_by_last_activity(admin_client, queue, clock, admin, db):
    clock.advance(minutes=1)
    ticket_actions.set_priority(queue["low"], Priority.HIGH, admin)
    db.session.commit()
    assert shown(admin_client, "/tickets/", sort="activity")[0] == 4


def test_the_sort_is_kept_in_tabs_and_pages(admin_client, make_ticket, clock):
    for n in range(30):
        clock.advance(minutes=1)
        make_ticket(text=f"Printer {n}")
    page = admin_client.get("/tickets/?sort=oldest").get_data(as_text=True)
    assert numbers_on(admin_client.get("/tickets/?sort=oldest")) == list(range(1, 26))
    assert 'href="/tickets/?page=2&amp;sort=oldest" rel="next"' in page
    assert 'href="/tickets/?status=open&amp;sort=oldest"' in page
    assert shown(admin_client, "/tickets/", sort="oldest", page="2") == list(range(26, 31))
    # The default order pages without a gap or a repeat too.
    first = shown(admin_client, "/tickets/")
    second = shown(admin_client, "/tickets/", page="2")
    assert sorted(first + second) == list(range(1, 31))


def test_the_queue_lists_resolved_tickets_last_the_newest_first(
    admin_client, make_ticket, clock, admin, db
):
    """30 tickets, every third resolved: the 20 unresolved ones fill page 1 in queue order,
    then the resolved ones follow newest first, across the page boundary without a gap or a
    repeat."""
    tickets = []
    for n in range(30):
        clock.advance(minutes=1)
        tickets.append(make_ticket(text=f"Printer {n}"))
    resolved = [t for n, t in enumerate(tickets) if n % 3 == 0]
    for ticket in resolved:
        ticket_actions.resolve(ticket, admin)
    db.session.commit()
    unresolved = [t.id for t in tickets if t not in resolved]  # all normal: oldest first
    newest_resolved = sorted((t.id for t in resolved), reverse=True)
    assert shown(admin_client, "/tickets/") == unresolved + newest_resolved[:5]
    assert shown(admin_client, "/tickets/", page="2") == newest_resolved[5:]
    assert shown(admin_client, "/tickets/", page="3") == []
    live = admin_client.get("/tickets/live.json").get_json()
    assert (live["total"], live["pages"]) == (30, 2)
    assert [row["id"] for row in live["rows"]] == unresolved + newest_resolved[:5]


@pytest.mark.skipif(backend() != "sqlite", reason="reads SQLite's query plans")
def test_the_default_queue_never_sorts_every_ticket(admin_client, queue, db):
    """The queue's page reads the unresolved tickets and the resolved ones through the status
    index, never a scan and sort of the whole table (4.96x its floor at 100,000 tickets)."""
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "LIMIT" in statement and "FROM support_messages" in statement:
            statements.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert admin_client.get("/tickets/").status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert statements
    with db.engine.connect() as connection:
        for statement, parameters in statements:
            plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            steps = [row[-1] for row in plan]
            assert not any(step.startswith("SCAN support_messages") for step in steps), steps


# ------------------------------------------------------------------------- search words


@pytest.fixture(params=["index", "like"])
def search_path(request, app, db, monkeypatch):
    """Each search test runs through the full-text index (where this database has one) and
    through the LIKE fallback."""
    if request.param == "index":
        if not search_index.uses_fts():
            pytest.skip("this database searches with LIKE (PostgreSQL: ILIKE over pg_trgm)")
    else:
        monkeypatch.setattr(search_index, "uses_fts", lambda: False)
    return request.param


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("Outlook password", [5]),
        ("password outlook", [5]),
        ("PASSWORD   Outlook", [5]),
        ("Outlook printer", []),
        ("asking my", [5]),  # a short word among them
        ("#5", [5]),  # a ticket number still works
        ("alice outlook", [5]),  # a sender's name and a word of the text
        ("@alice jam", [2]),
    ],
)
def test_search_matches_every_word_in_any_order(admin_client, queue, search_path, term, expected):
    assert shown(admin_client, "/tickets/", q=term, sort="newest") == expected


def test_the_word_search_uses_the_index_when_it_can(app, admin, queue, search_path):
    with app.test_request_context("/tickets/?q=Outlook+password"):
        form = TicketFilterForm(request.args)
        form.clean()
        used = ticket_list.index_match(ticket_list.words_of(form)) is not None
    assert used == (search_path == "index")


# ------------------------------------------------------------------- sender and dates


def test_the_sender_filter_matches_username_and_names(admin_client, make_ticket, clock):
    make_ticket(text="One", username="maria_k", first_name="Maria", last_name="Kowalska")
    make_ticket(text="Two", username="tom_h", first_name="Tom", last_name="Hughes")
    make_ticket(text="Three", username=None, first_name="Zoë", last_name="Kowalska")
    assert shown(admin_client, "/tickets/", sender="maria", sort="newest") == [1]
    assert shown(admin_client, "/tickets/", sender="@tom_h", sort="newest") == [2]
    assert shown(admin_client, "/tickets/", sender="kowalska", sort="newest") == [3, 1]
    assert shown(admin_client, "/tickets/", sender="zoë kowal", sort="newest") == [3]
    assert shown(admin_client, "/tickets/", sender="%", sort="newest") == []
    assert shown(admin_client, "/tickets/", sender="One", sort="newest") == []  # not the text


def test_the_date_range_is_in_the_teams_time_zone(app, admin_client, make_ticket, clock):
    app.config["TIMEZONE"] = "America/New_York"
    # 25 Nov 09:00 UTC is 04:00 in New York; 26 Nov 03:00 UTC is still 25 Nov there.
    make_ticket(text="Morning")
    clock.advance(hours=18)
    make_ticket(text="Late evening")
    clock.advance(hours=3)  # 26 Nov 06:00 UTC, 01:00 in New York
    make_ticket(text="Next day")
    args = {"sort": "newest"}
    assert shown(admin_client, "/tickets/", created_from="2026-11-25", **args) == [3, 2, 1]
    assert shown(admin_client, "/tickets/", created_to="2026-11-25", **args) == [2, 1]
    assert shown(admin_client, "/tickets/", created_from="2026-11-26", **args) == [3]
    both = {"created_from": "2026-11-25", "created_to": "2026-11-25"}
    assert shown(admin_client, "/tickets/", **both, **args) == [2, 1]
    assert shown(admin_client, "/tickets/", created_to="2026-11-24", **args) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"created_from": "yesterday"}, "Created from: not a date; use YYYY-MM-DD."),
        ({"created_to": "2026-13-45"}, "Created to: not a date; use YYYY-MM-DD."),
        ({"created_from": "9" * 300}, "Created from: not a date; use YYYY-MM-DD."),
        (
            {"created_from": "2026-11-26", "created_to": "2026-11-25"},
            "Created to is before created from.",
        ),
    ],
)
def test_a_bad_date_says_which_field_and_lists_anyway(admin_client, make_ticket, args, message):
    make_ticket()
    response = admin_client.get("/tickets/", query_string=args)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert numbers_on(response) == [1]
    live = admin_client.get("/tickets/live.json", query_string=args)
    assert live.status_code == 200 and [r["number"] for r in live.get_json()["rows"]] == [1]


# --------------------------------------------------------------------- tabs, My tickets


def test_tab_counts_follow_the_other_filters(admin_client, queue, admin, db):
    ticket_actions.assign(queue["urgent"], admin, admin)
    ticket_actions.assign(queue["resolved"], admin, admin)
    db.session.commit()
    everything = tab_counts(admin_client, "/tickets/")
    assert everything == {
        "all": 6,
        "unresolved": 5,
        "open": 4,
        "in_progress": 1,
        "resolved": 1,
    }
    mine = tab_counts(admin_client, "/tickets/?assignee=me&status=all")
    assert mine["all"] == 2 and mine["resolved"] == 1 and mine["unresolved"] == 1
    assert tab_counts(admin_client, "/tickets/?priority=normal")["all"] == 3
    assert tab_counts(admin_client, "/tickets/?q=printer")["all"] == 1
    assert tab_counts(admin_client, "/tickets/?q=Outlook+password")["open"] == 1
    assert tab_counts(admin_client, "/tickets/?sender=alice&status=resolved")["all"] == 6
    assert tab_counts(admin_client, "/tickets/?created_from=2030-01-01")["all"] == 0


def test_my_tickets_are_the_unresolved_ones_unless_a_status_is_chosen(
    admin_client, queue, admin, db
):
    for name in ("urgent", "low", "resolved"):
        ticket_actions.assign(queue[name], admin, admin)
    db.session.commit()
    page = admin_client.get("/tickets/").get_data(as_text=True)
    assert 'href="/tickets/?assignee=me">My tickets' in page
    assert shown(admin_client, "/tickets/", assignee="me") == [1, 4]
    assert shown(admin_client, "/tickets/", assignee="me", status="all") == [1, 4, 6]
    assert shown(admin_client, "/tickets/", assignee="me", status="resolved") == [6]
    mine = admin_client.get("/tickets/?assignee=me").get_data(as_text=True)
    # The Unresolved tab is the current one, and "All" keeps its explicit status.
    assert re.search(r'href="/tickets/\?assignee=me" aria-current="page">\s*Unresolved', mine)
    assert 'href="/tickets/?status=all&amp;assignee=me"' in mine
    # Everyone else's list still shows every status by default.
    assert shown(admin_client, "/tickets/", assignee="none") == [2, 5, 3]


# ----------------------------------------------------------------------------- live


def test_the_live_endpoint_returns_a_new_ticket(admin_client, queue, make_ticket, clock):
    before = admin_client.get("/tickets/live.json?sort=newest").get_json()
    clock.advance(minutes=1)
    new = make_ticket(text="Mail <b>bounces</b>", first_name="\u202eEve")
    after = admin_client.get("/tickets/live.json?sort=newest").get_json()
    assert after["newest"] == new.id > before["newest"]
    row = after["rows"][0]
    assert row["number"] == new.number and row["text"] == "Mail <b>bounces</b>"
    assert row["sender"] != "\u202eEve"  # the control character shown, not obeyed
    assert row["take_url"] == f"/tickets/{new.id}/take"
    assert after["counts"]["open"] == before["counts"]["open"] + 1
    filtered = admin_client.get("/tickets/live.json?priority=urgent").get_json()
    assert [r["number"] for r in filtered["rows"]] == [1] and filtered["counts"]["all"] == 1


def test_the_live_endpoint_refuses_a_logged_out_browser(client, admin):
    assert client.get("/tickets/live.json").status_code == 401


# ---------------------------------------------------------------------- statements


def statements_for(app, client, path: str) -> int:
    seen: list[str] = []
    with app.app_context():
        engine = _db.engine

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    _db.session.expire_all()  # the test's session is the request's: start both cold
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return len(seen)


@pytest.mark.parametrize("path", ["/tickets/", "/tickets/live.json", "/tickets/?q=printer"])
def test_a_page_takes_the_same_statements_for_3_or_25_rows(
    app, admin_client, make_ticket, make_user, admin, db, path
):
    bob = make_user("bob")
    for n in range(3):
        ticket = make_ticket(text=f"Printer {n}")
        ticket_actions.assign(ticket, bob if n % 2 else admin, admin)
    db.session.commit()
    admin_client.get(path)  # once-per-app lookups (is there a full-text index?) are done
    few = statements_for(app, admin_client, path)
    for n in range(22):
        ticket = make_ticket(text=f"Printer more {n}")
        ticket_actions.assign(ticket, make_user(f"user{n}"), admin)
    db.session.commit()
    many = statements_for(app, admin_client, path)
    assert many == few, (few, many)
    assert many <= 12
