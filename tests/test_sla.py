"""SLA targets: each ticket shows whether it is on track, due soon or breached (and once done,
in time or late), in the list, on the overview (and its live data), and on its page; the
reports count how often each target was met."""

from __future__ import annotations

import csv
import io

import pytest

from desk import runtime_settings, ticket_actions
from models import Priority


def shown(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def urgent(db, clock, make_ticket):
    """An urgent ticket: by default its first answer is due in 15 minutes, resolution in 4 h."""
    ticket = make_ticket(text="Server room flooding")
    ticket.priority = Priority.URGENT
    db.session.commit()
    return ticket


def test_a_fresh_ticket_is_on_track_then_due_soon_then_breached(tech_client, urgent, clock):
    page = shown(tech_client, f"/tickets/{urgent.id}")
    assert 'class="badge sla-on_track" data-role="sla">answer due 25 Nov 09:15' in page
    clock.advance(minutes=12)  # the last quarter of the 15 minutes
    assert "sla-due_soon" in shown(tech_client, "/tickets/")
    assert "answer due in 3 min" in shown(tech_client, "/tickets/")
    clock.advance(minutes=5)
    assert "answer overdue 2 min" in shown(tech_client, "/")
    live = tech_client.get("/overview/live.json").get_json()
    assert live["recent"][0]["sla"] == {"state": "breached", "label": "answer overdue 2 min"}
    assert tech_client.get(f"/tickets/{urgent.id}/live.json").get_json()["sla"]["state"] == (
        "breached"
    )


def test_after_the_answer_the_resolution_target_counts(tech_client, urgent, tech, db, clock):
    clock.advance(minutes=10)
    ticket_actions.answer(urgent, "On my way", tech)
    db.session.commit()
    assert "resolution due 25 Nov 13:00" in shown(tech_client, f"/tickets/{urgent.id}")
    clock.advance(hours=5)
    ticket_actions.resolve(urgent, tech)
    db.session.commit()
    assert "resolution 1 h 10 min late" in shown(tech_client, f"/tickets/{urgent.id}")


def test_no_target_no_badge(tech_client, urgent, admin, db):
    for key in ("sla_first_answer_urgent", "sla_resolve_urgent"):
        runtime_settings.set_int(key, 0, admin.id)
    db.session.commit()
    assert 'data-role="sla"' not in shown(tech_client, f"/tickets/{urgent.id}")


def test_the_reports_count_targets_met(tech_client, urgent, make_ticket, tech, db, clock):
    late = make_ticket(text="Second flood")
    late.priority = Priority.URGENT
    db.session.commit()
    clock.advance(minutes=10)
    ticket_actions.answer(urgent, "On my way", tech)  # in time
    db.session.commit()
    clock.advance(minutes=20)  # the second is now overdue and unanswered: missed
    response = tech_client.get("/reports/targets.csv", query_string={"range": "7"})
    rows = {(r[0], r[1]): r[2:] for r in csv.reader(io.StringIO(response.get_data(as_text=True)))}
    assert rows[("first answer", "Urgent")] == ["15", "2", "1", "50"]
    assert rows[("resolution", "Urgent")] == ["240", "0", "0", ""]
    assert '50 % <span class="muted">(1 of 2)</span>' in shown(tech_client, "/reports/?range=7")


def test_admins_set_the_targets_on_the_settings_page(admin_client):
    page = shown(admin_client, "/settings/")
    assert "SLA: Urgent tickets, first answer within (minutes, 0 = no target)" in page
    assert 'id="sla_first_answer_urgent"' in page and 'value="15"' in page
