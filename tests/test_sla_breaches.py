"""The team group hears once that a ticket missed its first-answer target: which tickets are
due (per priority, answered, resolved, lowered, target 0), the claim, the API call."""

from __future__ import annotations

from datetime import timedelta

import pytest

from desk import runtime_settings, sla_breaches, ticket_actions
from models import DeliveryState, Notification, NotificationKind, Priority, Status, Ticket

GROUP = -100777


@pytest.fixture
def app_config(app_config):
    return app_config | {"SUPPORT_GROUP_ID": GROUP}


@pytest.fixture
def ticket_of(db, clock, make_ticket):
    """A ticket of a priority, filed now: ticket_of(Priority.URGENT)."""

    def make(priority: Priority, text: str = "Server room flooding") -> Ticket:
        ticket = make_ticket(text=text)
        ticket.priority = priority
        db.session.commit()
        return ticket

    return make


def notices(db) -> list[tuple[int, int, DeliveryState]]:
    return [
        (n.ticket_id, n.chat_id, n.state)
        for n in db.session.scalars(
            db.select(Notification).where(Notification.kind == NotificationKind.SLA_BREACH)
        )
    ]


def ask(api) -> int:
    response = api.post("/api/sla_breaches", json={})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["created"]


@pytest.mark.parametrize(
    ("priority", "minutes"),
    [(Priority.URGENT, 15), (Priority.HIGH, 60), (Priority.NORMAL, 240), (Priority.LOW, 1440)],
)
def test_a_ticket_is_due_exactly_at_its_prioritys_first_answer_target(
    db, clock, ticket_of, priority, minutes
):
    ticket = ticket_of(priority)
    clock.advance(minutes=minutes, seconds=-1)
    assert sla_breaches.due(clock()) == []
    clock.advance(seconds=1)
    assert sla_breaches.due(clock()) == [ticket]


def test_the_team_group_is_told_once_however_often_asked(api, db, clock, ticket_of):
    ticket = ticket_of(Priority.URGENT)
    clock.advance(minutes=14)
    assert ask(api) == 0
    clock.advance(minutes=1)
    assert ask(api) == 1
    assert ask(api) == 0
    clock.advance(hours=3)
    assert ask(api) == 0
    assert notices(db) == [(ticket.id, GROUP, DeliveryState.PENDING)]
    assert db.session.get(Ticket, ticket.id).breach_noticed_at == clock() - timedelta(hours=3)
    pending = api.get("/api/notifications/pending").get_json()["notifications"]
    assert [(n["kind"], n["ticket"]["number"]) for n in pending] == [("sla_breach", ticket.id)]


def test_a_request_that_read_the_ticket_before_the_other_claimed_it_queues_nothing(
    api, db, clock, ticket_of, monkeypatch
):
    """Two calls at once both find the ticket due; the conditional UPDATE lets one tell."""
    ticket = ticket_of(Priority.URGENT)
    clock.advance(minutes=20)
    stale = list(sla_breaches.due(clock()))
    db.session.commit()
    assert ask(api) == 1
    monkeypatch.setattr(sla_breaches, "due", lambda now, limit=100: stale)
    assert ask(api) == 0
    assert len(notices(db)) == 1 and notices(db)[0][0] == ticket.id


def test_answered_resolved_and_lowered_tickets_are_not_noticed(
    api, db, clock, ticket_of, tech, make_ticket
):
    answered = ticket_of(Priority.URGENT, "answered in time")
    resolved = ticket_of(Priority.URGENT, "resolved unanswered")
    lowered = ticket_of(Priority.URGENT, "lowered to normal")
    late = ticket_of(Priority.URGENT, "nobody answered")
    clock.advance(minutes=10)
    answered.answered_at = clock()
    lowered.priority = Priority.NORMAL  # 4 h from its creation: not due yet
    db.session.commit()
    ticket_actions.resolve(resolved, tech)
    db.session.commit()
    clock.advance(minutes=10)
    assert ask(api) == 1
    assert [t for t, _, _ in notices(db)] == [late.id]
    clock.advance(hours=4)  # now the lowered one is past its normal target
    assert ask(api) == 1
    assert sorted(t for t, _, _ in notices(db)) == sorted([late.id, lowered.id])
    assert db.session.get(Ticket, resolved.id).status == Status.RESOLVED


def test_a_priority_without_a_target_is_never_noticed(api, db, clock, admin, ticket_of):
    runtime_settings.set_int("sla_first_answer_urgent", 0, admin.id)
    db.session.commit()
    ticket_of(Priority.URGENT)
    clock.advance(days=30)
    assert sla_breaches.due(clock()) == []
    assert ask(api) == 0
    assert notices(db) == []


def test_without_a_team_group_nothing_is_queued_or_claimed(api, app, db, clock, ticket_of):
    app.config["SUPPORT_GROUP_ID"] = None
    ticket = ticket_of(Priority.URGENT)
    clock.advance(hours=1)
    assert ask(api) == 0
    assert notices(db) == []
    assert db.session.get(Ticket, ticket.id).breach_noticed_at is None


def test_one_call_takes_a_bounded_batch_and_the_next_the_rest(
    api, db, clock, ticket_of, monkeypatch
):
    monkeypatch.setattr(sla_breaches, "BATCH", 2)
    tickets = [ticket_of(Priority.HIGH, f"ticket {n}") for n in range(3)]
    clock.advance(hours=2)
    assert ask(api) == 2
    assert ask(api) == 1
    assert sorted(t for t, _, _ in notices(db)) == [t.id for t in tickets]


def test_the_ticket_history_says_the_team_group_was_told(tech_client, api, db, clock, ticket_of):
    ticket = ticket_of(Priority.URGENT)
    clock.advance(minutes=16)
    assert ask(api) == 1
    page = tech_client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "told the team group the first-answer target was missed" in page
