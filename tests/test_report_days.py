"""The reports keep one row a day (desk/report_days.py): after any change, however it is made,
the next report says what a report computed from nothing says; a report with nothing changed
writes nothing; a new team zone recomputes every day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from report_helpers import page

from desk import ticket_actions
from models import (
    DeliveryState,
    Notification,
    Priority,
    Status,
    Ticket,
)
from report_models import ReportDay, ReportMark, ReportState

TABLES = ("days", "times", "techs", "pages", "targets", "satisfaction")
NOW = datetime(2026, 11, 25, 9, tzinfo=UTC)


def report(client) -> dict[str, str]:
    tables = {}
    for table in TABLES:
        response = client.get(f"/reports/{table}.csv", query_string={"range": "30"})
        assert response.status_code == 200
        tables[table] = response.get_data(as_text=True)
    return tables


def from_scratch(db, client) -> dict[str, str]:
    db.session.execute(sa.delete(ReportDay))
    db.session.execute(sa.delete(ReportState))
    db.session.commit()
    return report(client)


@pytest.fixture
def desk(db, clock, make_user, make_ticket, tech_client):
    """Ann and Bob; ticket X filed three days ago and paged to Ann, ticket Y filed now."""
    ann = make_user("ann", full_name="Ann", telegram_user_id=9001)
    bob = make_user("bob", full_name="Bob", telegram_user_id=9002)
    clock.current = NOW - timedelta(days=3)
    x = make_ticket(text="X")
    db.session.add(page(x, ann, 0, clock.current))
    db.session.commit()
    clock.current = NOW
    y = make_ticket(text="Y")
    db.session.commit()
    return ann, bob, x, y


def test_every_change_shows_in_the_next_report_as_if_computed_from_nothing(
    db, clock, tech_client, desk
):
    ann, bob, x, y = desk
    shown = report(tech_client)
    assert shown == from_scratch(db, tech_client)

    def changed(table: str) -> None:
        nonlocal shown
        before = shown
        shown = report(tech_client)
        assert shown[table] != before[table], f"{table} did not change"
        assert shown == from_scratch(db, tech_client)

    # An answer to the three-day-old ticket, delivered now: Bob's load, X's first answer.
    clock.advance(minutes=10)
    response = ticket_actions.answer(x, "On it", bob)
    db.session.commit()
    shown = report(tech_client)  # written, not delivered yet: nobody's answer so far
    assert "Bob" not in shown["techs"]
    response.delivery_state, response.sent_at = DeliveryState.SENT, clock.current
    db.session.commit()
    changed("techs")
    assert "Bob,1,1," in shown["techs"]

    ticket_actions.resolve(x, bob)
    db.session.commit()
    changed("days")
    ticket_actions.set_status(x, Status.OPEN, bob)  # reopened: not resolved today after all
    db.session.commit()
    changed("days")
    ticket_actions.set_priority(x, Priority.URGENT, bob)
    db.session.commit()
    changed("times")

    # Rated under Ann, then handed to Bob: the rating follows the ticket's assignee.
    ticket_actions.assign(x, ann, ann)
    x.rating_asked_at, x.rating = clock.current, 4
    db.session.commit()
    changed("satisfaction")
    ticket_actions.assign(x, bob, ann)
    db.session.commit()
    changed("satisfaction")

    # Written past the ORM, as a migration or psql would: the triggers still see it.
    db.session.execute(
        sa.update(Ticket).where(Ticket.id == y.id).values(created_at=NOW - timedelta(days=9))
    )
    db.session.commit()
    changed("days")
    db.session.add(page(x, bob, 1, clock.current))
    db.session.commit()
    changed("pages")
    db.session.execute(sa.delete(Notification).where(Notification.level == 1))
    db.session.commit()
    changed("pages")


def test_a_report_with_nothing_changed_only_reads(db, clock, tech_client, desk):
    report(tech_client)
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        statements.append(statement.lstrip().split()[0].upper())

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        report(tech_client)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert set(statements) <= {"SELECT"}, statements
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReportMark)) == 0


def test_a_ticket_filed_after_a_report_is_counted_on_its_day(
    db, clock, tech_client, desk, make_ticket
):
    before = report(tech_client)["days"]
    make_ticket(text="Z")
    db.session.commit()
    after = report(tech_client)["days"]
    today = NOW.date().isoformat()
    created_today = {line.split(",")[0]: line.split(",")[1] for line in after.splitlines()[1:]}
    assert created_today[today] == "2"  # Y and Z
    assert before != after


def test_a_new_team_zone_moves_every_ticket_to_its_local_day(
    db, clock, app, tech_client, make_ticket
):
    clock.current = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)  # Wednesday 08:30 in Tokyo
    make_ticket(text="Late in London")
    db.session.commit()
    clock.current = NOW

    def created_on() -> dict[str, str]:
        days = report(tech_client)["days"].splitlines()[1:]
        return {line.split(",")[0]: line.split(",")[1] for line in days}

    app.config["TIMEZONE"] = "Europe/London"
    assert created_on()["2026-11-24"] == "1"
    app.config["TIMEZONE"] = "Asia/Tokyo"
    shown = created_on()
    assert (shown["2026-11-24"], shown["2026-11-25"]) == ("0", "1")
    assert set(db.session.scalars(sa.select(ReportDay.tz))) == {"Asia/Tokyo"}


def test_a_ticket_resolved_without_a_recorded_change_closes_on_its_resolution_day(
    db, clock, tech_client, make_ticket
):
    # Imported or demo data: resolved in the table, no "open → resolved" line in its history.
    clock.current = datetime(2026, 11, 23, 10, tzinfo=UTC)
    ticket = make_ticket(text="Imported")
    db.session.commit()
    db.session.execute(
        sa.update(Ticket)
        .where(Ticket.id == ticket.id)
        .values(status=Status.RESOLVED, resolved_at=datetime(2026, 11, 24, 10, tzinfo=UTC))
    )
    db.session.commit()
    clock.current = NOW
    days = report(tech_client)["days"].splitlines()[1:]
    shown = {line.split(",")[0]: line.split(",")[1:] for line in days}
    # created, resolved, open at the end of the day
    assert shown["2026-11-23"] == ["1", "0", "1"]
    assert shown["2026-11-24"] == ["0", "1", "0"]
    assert shown["2026-11-25"] == ["0", "0", "0"]
