"""`flask --app app seed-demo`: a living dashboard for a newcomer, only on an empty database."""

from __future__ import annotations

import sqlalchemy as sa

import weekly_schedule
from desk import oncall
from models import DeliveryState, Notification, Status, SupportResponse, Ticket, User
from schedule_models import CoverRequest, CoverStatus, Override, Rotation


def count(db, model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_seed_demo_fills_an_empty_database(app, db, clock):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert (
        "Created 5 techs, 21 schedule slots, a rotation, an override, a cover request "
        "and 36 tickets."
    ) in result.output.replace("\n", " ")

    assert count(db, User) == 6
    for status in Status:
        assert count(db, Ticket, Ticket.status == status) >= 5, status
    for state in (DeliveryState.PENDING, DeliveryState.SENT, DeliveryState.FAILED):
        assert count(db, SupportResponse, SupportResponse.delivery_state == state) >= 1, state
    assert count(db, Notification) >= 36
    # Demo tickets never page anyone for real.
    assert count(db, Ticket, Ticket.next_escalation_at.is_not(None)) == 0

    slots = oncall.load_slots()
    assert weekly_schedule.find_overlaps(slots) == []
    assert None not in weekly_schedule.coverage(slots).values()
    assert any(s.end < s.start for s in slots)  # a night shift runs past midnight
    assert count(db, Rotation) == 1 and count(db, Override) == 1
    assert count(db, CoverRequest, CoverRequest.status == CoverStatus.OPEN) == 1
    assert any(isinstance(b, weekly_schedule.RotationRef) for s in slots for b in s.backup_ids)


def test_seeded_dashboard_is_alive(app, db, clock, admin_client):
    app.test_cli_runner().invoke(args=["seed-demo"])
    page = admin_client.get("/").get_data(as_text=True)
    assert 'data-count="total">36<' in page
    assert "Nobody can be paged" not in page
    schedule = admin_client.get("/schedule/").get_data(as_text=True)
    assert "not covered" not in schedule
    assert "Eve Evans" not in schedule  # not in the schedule: her Telegram is not linked yet
    assert "Rotation: Weekend escalation" in schedule
    assert "Ann at the dentist" in schedule
    assert "Family visit, who can take my afternoon?" in schedule


def test_demo_logins_work(app, db, clock):
    app.test_cli_runner().invoke(args=["seed-demo"])
    client = app.test_client()
    response = client.post("/login", data={"username": "ann", "password": "demo-pass-123"})
    assert response.location == "/"


def test_seed_demo_refuses_a_database_in_use(app, db, make_ticket):
    make_ticket()
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 1
    assert "the database already has 1 ticket(s)" in result.output
    assert count(db, User) == 1


def test_demo_data_is_consistent_in_time(app, db, clock):
    """Nothing after "now", and no page after the acknowledgement that would have stopped it."""
    from models import FollowUp, TicketEvent

    app.test_cli_runner().invoke(args=["seed-demo"])
    now = clock.current
    stamps = [
        *db.session.scalars(sa.select(Notification.created_at)),
        *db.session.scalars(
            sa.select(Notification.sent_at).where(Notification.sent_at.is_not(None))
        ),
        *db.session.scalars(sa.select(SupportResponse.created_at)),
        *db.session.scalars(sa.select(FollowUp.created_at)),
        *db.session.scalars(sa.select(TicketEvent.created_at)),
        *db.session.scalars(sa.select(Ticket.created_at)),
        *db.session.scalars(
            sa.select(Ticket.acknowledged_at).where(Ticket.acknowledged_at.is_not(None))
        ),
    ]
    assert [s for s in stamps if s > now] == []
    for ticket in db.session.scalars(sa.select(Ticket)):
        pages = db.session.scalars(
            sa.select(Notification.created_at).where(
                Notification.ticket_id == ticket.id, Notification.kind == "page"
            )
        ).all()
        assert pages and min(pages) >= ticket.created_at
        stopped = ticket.acknowledged_at or ticket.resolved_at
        if stopped is not None:
            assert max(pages) <= stopped, ticket.number
