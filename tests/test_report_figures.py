"""Every figure of the reports against values computed by hand, on tickets that were never
acknowledged, reopened, and resolved without an answer; each CSV against its page's table;
and the number of statements a report takes, which must not grow with the tickets."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from report_helpers import page

from desk import ticket_actions
from desk.web import duration
from models import DeliveryState, Priority, Status

WEEK = {"range": "7"}  # Thu 19 Nov to Wed 25 Nov 2026, in Berlin (UTC+1 in November)


@pytest.fixture
def app_config(app_config):
    return app_config | {"TIMEZONE": "Europe/Berlin"}


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def tuesday(db, clock, make_ticket, make_user):
    """Four tickets filed on Tuesday 24 Nov (Berlin), each press its own request:

    A  normal, 08:00 UTC: Ann acknowledges at +5 min, answers twice (delivered +25, +40 min),
       resolves at +60 min. Paged: Ann, level 0.
    B  high, 17:30 UTC (18:30 Berlin, after hours): never acknowledged, answered or resolved.
       Paged: Ann level 0 at 17:30, Bob level 1 at 17:45 (both outside working hours).
    C  urgent, 12:00 UTC: Ann acknowledges at +2 min and resolves at +40 min without an
       answer. Paged: Ann, level 0.
    D  low, 14:00 UTC: Bob answers at +30 min (which acknowledges; delivered +35 min),
       resolves at 15:00, reopens at 16:00 and resolves again on Wednesday 08:00 UTC (+18 h).
       Paged: Ann level 0, Bob level 1 at +15 min, and Ann's page sent again (a repeat).
    The report is read on Wednesday 25 Nov, 10:00 UTC.
    """
    ann = make_user("ann", full_name="Ann", telegram_user_id=9001)
    bob = make_user("bob", full_name="Bob", telegram_user_id=9002)

    def at(when: datetime) -> None:
        db.session.commit()
        clock.current = when

    def answer(ticket, author, written: datetime, delivered: datetime) -> None:
        at(written)
        response = ticket_actions.answer(ticket, "On it", author)
        response.delivery_state, response.sent_at = DeliveryState.SENT, delivered

    at(utc(24, 8))
    a = make_ticket(text="A")
    db.session.add(page(a, ann, 0, clock.current))
    at(utc(24, 8, 5))
    ticket_actions.acknowledge(a, ann)
    answer(a, ann, utc(24, 8, 20), utc(24, 8, 25))
    answer(a, ann, utc(24, 8, 38), utc(24, 8, 40))
    at(utc(24, 9))
    ticket_actions.resolve(a, ann)

    at(utc(24, 12))
    c = make_ticket(text="C")
    c.priority = Priority.URGENT
    db.session.add(page(c, ann, 0, clock.current))
    at(utc(24, 12, 2))
    ticket_actions.acknowledge(c, ann)
    at(utc(24, 12, 40))
    ticket_actions.resolve(c, ann)

    at(utc(24, 14))
    d = make_ticket(text="D")
    d.priority = Priority.LOW
    db.session.add(page(d, ann, 0, clock.current))
    db.session.add(page(d, bob, 1, utc(24, 14, 15)))
    db.session.add(page(d, ann, 0, utc(24, 14, 20), repeat=True))
    answer(d, bob, utc(24, 14, 30), utc(24, 14, 35))
    at(utc(24, 15))
    ticket_actions.resolve(d, bob)
    at(utc(24, 16))
    ticket_actions.set_status(d, Status.OPEN, bob)

    at(utc(24, 17, 30))
    b = make_ticket(text="B")
    b.priority = Priority.HIGH
    db.session.add(page(b, ann, 0, clock.current))
    db.session.add(page(b, bob, 1, utc(24, 17, 45)))

    at(utc(25, 8))
    ticket_actions.resolve(d, bob)
    at(utc(25, 10))
    db.session.commit()
    return a, b, c, d


def rows_of(client, table: str, **args) -> list[list[str]]:
    response = client.get(f"/reports/{table}.csv", query_string=args)
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))[1:]


def test_days_count_the_last_resolution_of_a_reopened_ticket(tech_client, tuesday):
    days = {row[0]: row[1:] for row in rows_of(tech_client, "days", **WEEK)}
    # Created Tuesday: A, B, C, D. Resolved Tuesday: A (10:00 Berlin), C (13:40); D's first
    # resolution (16:00) was undone by the reopening, so D counts once, on Wednesday (09:00).
    # Open at the end of Tuesday (midnight Berlin): B and D (reopened at 17:00). At the end of
    # Wednesday: B only.
    assert days["2026-11-24"] == ["4", "2", "2"]
    assert days["2026-11-25"] == ["0", "1", "1"]
    assert all(days[f"2026-11-{n}"] == ["0", "0", "0"] for n in range(19, 24))


def test_reaction_times_over_tickets_never_acknowledged_reopened_or_unanswered(
    tech_client, tuesday
):
    times = {(row[0], row[1]): row[2:] for row in rows_of(tech_client, "times", **WEEK)}
    # Acknowledge: A 5, C 2, D 30 (its answer acknowledged it); B never. Sorted 2, 5, 30:
    # median (the lower middle) 5; 90th percentile, nearest rank ceil(0.9 * 3) = 3rd: 30.
    assert times["Time to acknowledge", "All"] == ["3", "5.0", "30.0"]
    assert times["Time to acknowledge", "Urgent"] == ["1", "2.0", "2.0"]
    assert times["Time to acknowledge", "High"] == ["0", "", ""]
    assert times["Time to acknowledge", "Normal"] == ["1", "5.0", "5.0"]
    assert times["Time to acknowledge", "Low"] == ["1", "30.0", "30.0"]
    # First answer, when delivered: A 25 (its first of two), D 35; C was resolved without one,
    # B never answered. Sorted 25, 35: median_low 25; rank ceil(1.8) = 2nd: 35.
    assert times["Time to first answer", "All"] == ["2", "25.0", "35.0"]
    assert times["Time to first answer", "Urgent"] == ["0", "", ""]
    assert times["Time to first answer", "Normal"] == ["1", "25.0", "25.0"]
    assert times["Time to first answer", "Low"] == ["1", "35.0", "35.0"]
    # Resolve, to the last resolution: A 60, C 40, D 18 h = 1080 (not its first, 60); B open.
    assert times["Time to resolve", "All"] == ["3", "60.0", "1080.0"]
    assert times["Time to resolve", "Urgent"] == ["1", "40.0", "40.0"]
    assert times["Time to resolve", "High"] == ["0", "", ""]
    assert times["Time to resolve", "Normal"] == ["1", "60.0", "60.0"]
    assert times["Time to resolve", "Low"] == ["1", "1080.0", "1080.0"]


def test_per_tech_counts_delivered_answers_and_their_first_answers(tech_client, tuesday):
    # Ann: two answers on one ticket (A), A's first answer hers at 25 min. Bob: D's answer,
    # 35 min. Sorted by answers delivered.
    assert rows_of(tech_client, "techs", **WEEK) == [
        ["Ann", "1", "2", "25.0"],
        ["Bob", "1", "1", "35.0"],
    ]


def test_escalation_share_pages_and_pages_per_person(tech_client, tuesday):
    # Pages, not counting the repeat: A 1, B 2, C 1, D 2 = 6 over 4 tickets (1.5 per ticket);
    # Ann 4, Bob 2. Handled at the first level: acknowledged and nobody past level 0 paged,
    # A and C (B never acknowledged, D paged Bob at level 1): 2 of 4. Outside Mon-Fri
    # 09:00-18:00 Berlin: B's two pages (18:30, 18:45).
    assert rows_of(tech_client, "pages", **WEEK) == [["Ann", "4"], ["Bob", "2"]]
    shown = tech_client.get("/reports/", query_string=WEEK).get_data(as_text=True)
    assert "50 % (2 of 4)" in shown
    assert "Pages per ticket</dt><dd>1.5" in shown
    assert "<dd>2 of 6 <span" in shown


def test_sla_targets_met_by_priority(tech_client, tuesday):
    met = {(row[0], row[1]): row[2:] for row in rows_of(tech_client, "targets", **WEEK)}
    # Defaults (minutes): urgent 15 / 240, high 60 / 480, normal 240 / 2880, low 1440 / 10080.
    # The first answer counts when written. A written at 20 min: met; resolved at 60: met.
    # B, at 16.5 h without either: both targets past due, missed. C never answered (due at
    # 15 min, missed), resolved at 40 min (met). D written at 30 min (met), resolved at 18 h
    # (met; within 7 days).
    assert met["first answer", "Urgent"] == ["15", "1", "0", "0"]
    assert met["first answer", "High"] == ["60", "1", "0", "0"]
    assert met["first answer", "Normal"] == ["240", "1", "1", "100"]
    assert met["first answer", "Low"] == ["1440", "1", "1", "100"]
    assert met["resolution", "Urgent"] == ["240", "1", "1", "100"]
    assert met["resolution", "High"] == ["480", "1", "0", "0"]
    assert met["resolution", "Normal"] == ["2880", "1", "1", "100"]
    assert met["resolution", "Low"] == ["10080", "1", "1", "100"]


class Tables(HTMLParser):
    """The text of each table cell, row by row, keyed by the table's data-role."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.current: list[list[str]] | None = None
        self.cell: list[str] | None = None
        self.in_body = False

    def handle_starttag(self, tag, attrs):  # noqa: ANN001
        attrs = dict(attrs)
        if tag == "table":
            self.current = self.tables.setdefault(attrs.get("data-role") or "days", [])
        elif tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.in_body and self.current is not None:
            self.current.append([])
        elif tag in {"td", "th"} and self.in_body:
            self.cell = []

    def handle_endtag(self, tag):  # noqa: ANN001
        if tag in {"td", "th"} and self.cell is not None and self.current is not None:
            self.current[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tbody":
            self.in_body = False
        elif tag == "table":
            self.current = None

    def handle_data(self, data):  # noqa: ANN001
        if self.cell is not None:
            self.cell.append(data)


def minutes_shown(cell: str) -> str:
    return "—" if cell == "" else duration(timedelta(minutes=float(cell)))


def test_each_csv_has_the_rows_of_its_table_on_the_page(tech_client, tuesday):
    parser = Tables()
    parser.feed(tech_client.get("/reports/", query_string=WEEK).get_data(as_text=True))
    shown = parser.tables

    days = [
        [date.fromisoformat(d).strftime("%a %d %b"), created, resolved, backlog]
        for d, created, resolved, backlog in rows_of(tech_client, "days", **WEEK)
    ]
    assert days == shown["days"]

    times = rows_of(tech_client, "times", **WEEK)
    for measure in ("acknowledge", "first_answer", "resolve"):
        label = shown[f"times-{measure}"]
        expected = [
            [priority, minutes_shown(median), minutes_shown(p90), count]
            for _, priority, count, median, p90 in times
            if _
            == {"acknowledge": "Time to acknowledge", "first_answer": "Time to first answer"}.get(
                measure, "Time to resolve"
            )
        ]
        assert expected == label

    techs = [
        [name, tickets, answers, minutes_shown(median)]
        for name, tickets, answers, median in rows_of(tech_client, "techs", **WEEK)
    ]
    assert techs == shown["techs"]

    assert rows_of(tech_client, "pages", **WEEK) == shown["pages"]

    targets = [
        [
            f"{priority}: {target}",
            duration(timedelta(minutes=int(within))),
            f"{rate} % ({met} of {judged})" if rate else "—",
        ]
        for target, priority, within, judged, met, rate in rows_of(tech_client, "targets", **WEEK)
    ]
    assert targets == shown["targets"]


def count_statements(db, client, path: str) -> int:
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        statements.append(statement)

    client.get(path)  # warm: what a first request reads once (settings) is not the point
    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get(path).status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    return len(statements)


REPORTS = ["/reports/?range=7"] + [
    f"/reports/{table}.csv?range=7" for table in ("days", "times", "techs", "pages", "targets")
]


def test_a_report_takes_as_many_statements_for_ten_times_the_tickets(
    db, clock, tech_client, make_ticket, make_user
):
    def add(tickets: int, techs: int, start: int) -> None:
        people = [
            make_user(f"t{start + n}", full_name=f"T{start + n}", telegram_user_id=8000 + start + n)
            for n in range(techs)
        ]
        for n in range(tickets):
            tech = people[n % techs]
            clock.current = utc(23, 8) + timedelta(minutes=7 * (start + n))
            ticket = make_ticket(text=f"Ticket {start + n}")
            db.session.add(page(ticket, tech, n % 2, clock.current))
            clock.advance(minutes=3)
            if n % 3:
                ticket_actions.acknowledge(ticket, tech)
            clock.advance(minutes=5)
            response = ticket_actions.answer(ticket, "On it", tech)
            response.delivery_state, response.sent_at = DeliveryState.SENT, clock.current
            clock.advance(minutes=30)
            if n % 4:
                ticket_actions.resolve(ticket, tech)
            db.session.commit()
        clock.current = utc(25, 10)

    add(tickets=3, techs=2, start=0)
    few = {path: count_statements(db, tech_client, path) for path in REPORTS}
    add(tickets=27, techs=18, start=100)
    many = {path: count_statements(db, tech_client, path) for path in REPORTS}
    assert many == few


def test_a_ticket_resolved_then_reopened_the_next_day_is_not_open_in_between(
    db, clock, tech_client, make_ticket, make_user
):
    ann = make_user("ann", full_name="Ann")
    clock.current = utc(23, 8)
    ticket = make_ticket(text="Comes back")
    clock.current = utc(23, 9)
    ticket_actions.resolve(ticket, ann)
    db.session.commit()
    clock.current = utc(24, 9)
    ticket_actions.set_status(ticket, Status.OPEN, ann)
    db.session.commit()
    clock.current = utc(25, 9)
    ticket_actions.resolve(ticket, ann)
    db.session.commit()
    days = {row[0]: row[3] for row in rows_of(tech_client, "days", **WEEK)}
    # Resolved at 10:00 Berlin on Monday, open again from Tuesday 10:00 to Wednesday 10:00.
    assert [days["2026-11-23"], days["2026-11-24"], days["2026-11-25"]] == ["0", "1", "0"]


def test_an_answer_sent_in_parts_counts_once(tech_client, db, clock, make_ticket, make_user):
    from models import SupportResponse

    ann = make_user("ann", full_name="Ann", telegram_user_id=9001)
    clock.current = utc(24, 8)
    ticket = make_ticket(text="A")
    db.session.commit()
    clock.current = utc(24, 8, 10)
    ticket_actions.answer(ticket, "\n\n".join(["x" * 3000] * 3), ann)  # three parts
    for offset, part in enumerate(db.session.scalars(sa.select(SupportResponse)), start=1):
        part.delivery_state, part.sent_at = DeliveryState.SENT, utc(24, 8, 10 + offset)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SupportResponse)) == 3
    # One answer, there when its first part was (at 11 minutes).
    assert rows_of(tech_client, "techs", **WEEK) == [["Ann", "1", "1", "11.0"]]
