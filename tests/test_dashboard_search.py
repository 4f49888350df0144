"""Searching the ticket list: text, names, @username and #number, in any case and alphabet,
literal whatever the characters, through the full-text index where the database has one."""

from __future__ import annotations

import logging
import re

import pytest
import sqlalchemy as sa
from databases import backend
from flask import request
from flask_login import login_user
from test_dashboard_tickets import numbers_on, query_plan

from desk import search_index, ticket_actions
from desk.ticket_list import quick_count, ticket_query
from forms import TicketFilterForm
from models import Ticket, User

SENDERS_AND_TEXTS = [  # first name, last name, username, text
    ("Alice", "Liddell", "alice", "Printer jam on floor 3"),
    ("Jürgen", "Groß", "juergen", "Großer Ärger mit dem Drucker"),
    ("Bob", None, "bob", 'Error "E42" (code: 5-7) at 100% CPU_load * NEAR OR'),
    ("Maria", "Kowalska", "maria_k", "VPN down since the update"),
    ("Zoë", "Ørsted", None, "ÉCOLE wifi: réseau lent"),
    ("Tom", "Hughes", "tom_h", "Mail bounces: error 0x003"),
]


@pytest.fixture
def searchable(make_ticket, admin, clock):
    """Six tickets a minute apart (#1 to #6), from the senders above."""
    tickets = []
    for first, last, username, text in SENDERS_AND_TEXTS:
        clock.advance(minutes=1)
        tickets.append(make_ticket(text=text, first_name=first, last_name=last, username=username))
    return tickets


def search(client, term: str, **filters: str) -> list[int]:
    """The numbers a search shows, newest first unless `sort` says otherwise."""
    response = client.get("/tickets/", query_string={"q": term, "sort": "newest"} | filters)
    assert response.status_code == 200
    return numbers_on(response)


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("printer", [1]),
        ("RINTER JA", [1]),  # any substring, spaces included
        ("drucker", [2]),
        ("kowal", [4]),  # last name
        ("maria", [4]),  # first name
        ("@maria_k", [4]),
        ("maria_k", [4]),
        ("@tom_", [6]),
        ("@@alice", [1]),
        ("#4", [4]),
        ("4", [4, 3]),  # ticket #4, and "E42" in #3's text
        ("003", [6, 3]),  # "0x003" in #6's text, and ticket #3
        ("#003", [3]),
        ("bo", [6, 3]),  # short terms: "bounces", "Bob"
        ("or", [6, 3, 1]),
        ("ë", [5]),
    ],
)
def test_search_finds_text_names_usernames_and_numbers(admin_client, searchable, term, expected):
    assert search(admin_client, term) == expected


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("ärger", [2]),
        ("ÄRGER", [2]),
        ("groß", [2]),
        ("école", [5]),
        ("RÉSEAU", [5]),
        ("zoë", [5]),
        ("ØRSTED", [5]),
    ],
)
def test_search_ignores_case_beyond_ascii(admin_client, searchable, term, expected):
    """SQLite's own LIKE folds ASCII only: "ärger" used to miss "Ärger"."""
    assert search(admin_client, term) == expected


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ('"E42"', [3]),
        ('"', [3]),
        ("(code:", [3]),
        ("code:", [3]),
        ("5-7", [3]),
        ("-", [3]),
        ("100%", [3]),
        ("%", [3]),
        ("_load", [3]),
        ("u_l", [3]),
        ("*", [3]),
        ("NEAR", [3]),
        ("near or", [3]),
        # Operators of the index's query language are plain text, so nothing more matches:
        ("printer*", []),
        ("E4*", []),
        ('"printer" OR "vpn"', []),
        ("printer OR vpn", []),
        ("NEAR(printer vpn)", []),
        ("^printer", []),
        ("text : printer", []),
        ("{text}", []),
        ('a"b', []),
        ("'", []),
        ("\\", []),
        ("AND", []),
    ],
)
def test_search_takes_quotes_and_operators_literally(admin_client, searchable, term, expected):
    assert search(admin_client, term) == expected


def test_search_combines_with_the_filters(admin_client, admin, make_ticket, clock, db):
    """Whichever list is shorter, the matches or the tickets passing the filters, the answer is
    the same."""
    texts = ["Printer jam", "Printer offline", "Scanner", "Printer toner", "Printer noise"]
    tickets = []
    for text in texts:
        clock.advance(minutes=1)
        tickets.append(make_ticket(text=text))
    ticket_actions.resolve(tickets[1], admin)
    ticket_actions.assign(tickets[3], admin, admin)
    db.session.commit()
    assert search(admin_client, "printer") == [5, 4, 2, 1]
    assert search(admin_client, "printer", status="resolved") == [2]  # 1 resolved < 4 matches
    assert search(admin_client, "printer", status="open") == [5, 4, 1]  # 4 open >= 4 matches
    assert search(admin_client, "printer", assignee="me") == [4]
    assert search(admin_client, "printer", assignee="none") == [5, 2, 1]
    assert search(admin_client, "scanner", status="open") == [3]
    assert search(admin_client, "scanner", status="resolved") == []
    assert search(admin_client, "#2", status="resolved") == [2]
    assert search(admin_client, "002", status="open") == []
    page = admin_client.get("/tickets/?q=printer&status=open").get_data(as_text=True)
    assert "3 tickets" in page


# Words of three letters or more go through the full-text index (on SQLite), a shorter one
# through LIKE: both find notes.
@pytest.mark.parametrize("term", ["failing replacement", "is fa"], ids=["index", "like"])
def test_search_finds_a_ticket_by_its_internal_notes(
    admin_client, admin, make_ticket, clock, db, term
):
    texts = ["Printer jam", "Laptop slow", "Printer toner", "Mail bounces"]
    tickets = []
    for text in texts:
        clock.advance(minutes=1)
        tickets.append(make_ticket(text=text))
    ticket_actions.add_note(tickets[1], "Disk is FAILING, replacement ordered", admin)
    ticket_actions.add_note(tickets[3], "Same printer as #1?", admin)
    ticket_actions.resolve(tickets[1], admin)
    db.session.commit()
    assert search(admin_client, term) == [2]
    assert search(admin_client, term, status="resolved") == [2]
    assert search(admin_client, term, status="open") == []
    assert search(admin_client, "printer") == [4, 3, 1]  # #4 by its note, #1 and #3 by text
    assert sorted(search(admin_client, "printer", sort="priority")) == [1, 3, 4]
    assert search(admin_client, "printer", status="open") == [4, 3, 1]
    assert search(admin_client, "failing toner") == []  # every word in one place: not split
    page = admin_client.get("/tickets/", query_string={"q": "printer"}).get_data(as_text=True)
    assert "3 tickets" in page
    # The live list's newest match: #4 by its note, #3 by its own text.
    assert admin_client.get("/tickets/live.json?q=printer").get_json()["newest"] == 4
    assert admin_client.get("/tickets/live.json?q=toner").get_json()["newest"] == 3
    tabs = admin_client.get("/tickets/", query_string={"q": term}).get_data(as_text=True)
    assert re.search(r'Resolved <span class="tab-count"[^>]*>1</span>', tabs)


def test_search_pages_and_counts_its_matches(admin_client, make_ticket, clock):
    for n in range(1, 46):
        clock.advance(minutes=1)
        make_ticket(text=f"Printer {n}" if n % 3 else f"Scanner {n:03d}")
    printers = [n for n in range(45, 0, -1) if n % 3]
    first = admin_client.get("/tickets/?q=printer&sort=newest")
    assert numbers_on(first) == printers[:25]
    assert "Page 1 of 2 · 30 tickets" in first.get_data(as_text=True)
    second = admin_client.get("/tickets/?q=printer&page=2&sort=newest")
    assert numbers_on(second) == printers[25:]
    # "012": ticket #12's text ("Scanner 012") and ticket #12 itself, counted once.
    page = admin_client.get("/tickets/?q=012").get_data(as_text=True)
    assert "1 ticket<" in page
    assert numbers_on(admin_client.get("/tickets/?q=009")) == [9]
    assert numbers_on(admin_client.get("/tickets/?q=%23029")) == [29]  # "#029"


def test_search_follows_edits_and_deletions(admin_client, make_ticket, clock, db):
    printer, vpn, mail = (make_ticket(text=text) for text in ("Printer", "VPN down", "Mail"))
    printer.text = "Plotter is out of paper"
    vpn.sender_username = "newname"
    vpn.sender_first_name = "Renée"
    db.session.delete(mail)
    db.session.commit()
    assert search(admin_client, "printer") == []
    assert search(admin_client, "plotter") == [printer.id]
    assert search(admin_client, "@newname") == [vpn.id]
    assert search(admin_client, "@alice") == [printer.id]
    assert search(admin_client, "RENÉE") == [vpn.id]
    assert search(admin_client, "mail") == []
    if backend() == "sqlite":
        assert_index_matches_the_tickets(db)


def assert_index_matches_the_tickets(db) -> None:
    """FTS5 compares its index with the tickets, row by row, and raises on any difference."""
    check = "INSERT INTO ticket_search (ticket_search, rank) VALUES ('integrity-check', 1)"
    db.session.execute(sa.text(check))


@pytest.mark.skipif(backend() != "sqlite", reason="the FTS5 index is SQLite's")
def test_status_changes_leave_the_index_alone(make_ticket, admin, db):
    """Only changes to the searched columns rewrite the index: status, escalation and
    timestamps change far more often."""
    ticket = make_ticket(text="Printer")

    def index_rows():
        return db.session.execute(sa.text("SELECT * FROM ticket_search_data")).all()

    before = index_rows()
    ticket_actions.resolve(ticket, admin)
    db.session.commit()
    assert index_rows() == before
    ticket.text = "Printer, really"
    db.session.commit()
    assert index_rows() != before
    assert_index_matches_the_tickets(db)


def plan_of(app, db, path: str) -> str:
    with app.test_request_context(path):
        login_user(db.session.get(User, 1))
        form = TicketFilterForm(request.args)
        form.clean()
        query = ticket_query(form).limit(25).offset(0)  # as db.paginate runs it
        sql = query.compile(db.engine, compile_kwargs={"literal_binds": True})
        count = sa.select(sa.func.count()).select_from(ticket_query(form).subquery())
        count_sql = count.compile(db.engine, compile_kwargs={"literal_binds": True})
    return query_plan(db, str(sql)) + "\n--\n" + query_plan(db, str(count_sql))


@pytest.mark.skipif(backend() != "sqlite", reason="the FTS5 index is SQLite's")
@pytest.mark.parametrize(
    "path",
    [
        "/tickets/?q=printer&sort=newest",
        "/tickets/?q=printer&status=open&sort=newest",
        "/tickets/?q=%23123&sort=newest",
    ],
)
def test_search_starts_from_the_index_matches(admin_client, make_ticket, db, path):
    """Not a walk through a whole (status, created_at) index probing each ticket, and no sort."""
    for _ in range(3):
        make_ticket(text="Printer jam")
    plan = plan_of(admin_client.application, db, path)
    assert "VIRTUAL TABLE INDEX" in plan, plan
    assert "USING INTEGER PRIMARY KEY" in plan, plan
    assert "ix_ticket" not in plan and "TEMP B-TREE FOR ORDER BY" not in plan, plan


@pytest.mark.skipif(backend() != "sqlite", reason="the FTS5 index is SQLite's")
def test_a_search_no_note_matches_is_counted_in_the_index_alone(
    admin_client, admin, make_ticket, db
):
    """Notes join the count only when one of them matches: otherwise a union with them made
    "printer" over 100,000 tickets 4.85x its floor."""
    tickets = [make_ticket(text="Printer jam") for _ in range(3)]
    ticket_actions.add_note(tickets[0], "Toner ordered", admin)
    db.session.commit()
    app = admin_client.application
    with app.test_request_context("/tickets/?q=printer"):
        login_user(db.session.get(User, 1))
        form = TicketFilterForm(request.args)
        form.clean()
        count = quick_count(form)
        sql = count.compile(db.engine, compile_kwargs={"literal_binds": True})
    plan = query_plan(db, str(sql))
    assert "ticket_notes" not in plan and "TEMP B-TREE" not in plan, plan
    assert "3 tickets" in admin_client.get("/tickets/?q=printer").get_data(as_text=True)
    assert "1 ticket<" in admin_client.get("/tickets/?q=toner").get_data(as_text=True)


@pytest.mark.skipif(backend() != "sqlite", reason="the FTS5 index is SQLite's")
def test_search_with_a_narrow_filter_walks_the_filter_index(admin_client, make_ticket, admin, db):
    """One resolved ticket among three matches: walk the resolved ones, look each up."""
    tickets = [make_ticket(text="Printer jam") for _ in range(3)]
    ticket_actions.resolve(tickets[0], admin)
    db.session.commit()
    path = "/tickets/?q=printer&status=resolved&sort=newest"
    plan = plan_of(admin_client.application, db, path)
    assert re.search(r"USING (COVERING )?INDEX ix_ticket_status_\w+ \(status=\?", plan), plan
    assert "TEMP B-TREE FOR ORDER BY" not in plan, plan


@pytest.mark.skipif(backend() != "sqlite", reason="the FTS5 index is SQLite's")
def test_without_the_index_search_still_works(app_config, admin_client, searchable, db):
    """A database without the FTS5 table (an SQLite built without FTS5) searches with LIKE."""
    from app import create_app

    with db.engine.begin() as connection:
        search_index.drop(connection)
    again = create_app(app_config)
    try:
        client = again.test_client()
        client.post("/login", data={"username": "admin", "password": "admin-pass-123"})
        assert search(client, "printer") == [1]
        assert search(client, "@maria_k") == [4]
        assert search(client, "003") == [6, 3]
        with again.app_context():
            assert not search_index.uses_fts()
    finally:
        with again.app_context():
            db.session.remove()
            db.engine.dispose()


def test_a_database_that_cannot_have_the_index_still_starts(app_config, monkeypatch, caplog):
    from app import create_app
    from desk.extensions import db

    monkeypatch.setattr("models.BCRYPT_ROUNDS", 4)

    if backend() == "sqlite":
        bogus = search_index.SQLITE_CREATE[0].replace("USING fts5", "USING no_such_module")
        monkeypatch.setattr(search_index, "SQLITE_CREATE", (bogus,))
    else:
        monkeypatch.setattr(search_index, "PG_EXTENSION", "no_such_extension")
    with caplog.at_level(logging.WARNING, logger="desk.search_index"):
        app = create_app(app_config)
    try:
        assert "ticket search runs without an index" in caplog.text
        with app.app_context():
            db.session.add(
                Ticket(
                    chat_id=1, message_id=1, sender_id=2, sender_first_name="Ann", text="Printer"
                )
            )
            db.session.commit()
            assert not search_index.uses_fts()
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.mark.skipif(backend() != "postgresql", reason="pg_trgm is PostgreSQL's")
def test_postgresql_gets_trigram_indexes(db):
    names = db.session.scalars(
        sa.text("SELECT indexname FROM pg_indexes WHERE tablename = 'support_messages'")
    ).all()
    assert set(search_index.PG_INDEXES) <= set(names)


def test_drop_all_and_create_all_take_the_index_along(admin_client, make_ticket, db):
    make_ticket(text="Printer jam")
    db.drop_all()
    assert sa.inspect(db.engine).get_table_names() == ["alembic_version"]  # not a model
    db.create_all()
    make_ticket(text="Scanner jam")
    assert [t.text for t in db.session.scalars(sa.select(Ticket))] == ["Scanner jam"]
    if backend() == "sqlite":
        assert_index_matches_the_tickets(db)
