"""The reports page: a period's tickets per day, backlog, reaction times, load and escalation,
counted on the team's days, each table downloadable as CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from report_helpers import page

from desk import ticket_actions
from models import DeliveryState, Priority

BERLIN_WEDNESDAY = "2026-11-25"


@pytest.fixture
def app_config(app_config):
    return app_config | {"TIMEZONE": "Europe/Berlin"}


def deliver(response, at: datetime) -> None:
    response.delivery_state = DeliveryState.SENT
    response.sent_at = at


@pytest.fixture
def week(db, clock, make_ticket, make_user):
    """Wednesday 25 Nov in Berlin: an urgent ticket handled by Ann, one filed at 00:30 local
    time (still Tuesday in UTC) that nobody touched, and Monday's ticket resolved on Wednesday."""
    ann = make_user("ann", full_name="Ann", telegram_user_id=9001)
    bob = make_user("bob", full_name="Bob", telegram_user_id=9002)
    clock.current = datetime(2026, 11, 23, 10, tzinfo=UTC)
    monday = make_ticket(text="Monday's printer")
    clock.current = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)  # 00:30 on Wednesday in Berlin
    night = make_ticket(text="Night owl")
    db.session.add(page(night, bob, 1, clock.current))
    clock.current = datetime(2026, 11, 25, 9, tzinfo=UTC)  # 10:00 in Berlin
    urgent = make_ticket(text="Server room flooding")
    urgent.priority = Priority.URGENT
    db.session.add(page(urgent, ann, 0, clock.current))
    db.session.commit()
    # Each press is its own request, committed at its own time, as on the dashboard.
    clock.advance(minutes=10)
    ticket_actions.acknowledge(urgent, ann)
    db.session.commit()
    clock.advance(minutes=20)
    deliver(ticket_actions.answer(urgent, "On my way", ann), clock.current)
    db.session.commit()
    clock.advance(hours=2)
    ticket_actions.resolve(urgent, ann)
    ticket_actions.resolve(monday, ann)
    db.session.commit()
    clock.advance(hours=1)
    return urgent, night, monday


def report_page(client, **args) -> str:
    response = client.get("/reports/", query_string=args)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def rows_of(client, table: str, **args) -> list[list[str]]:
    response = client.get(f"/reports/{table}.csv", query_string=args)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_every_tech_sees_the_reports_and_visitors_are_sent_to_log_in(tech_client, client, week):
    assert "Tickets per day" in report_page(tech_client)
    assert client.get("/reports/").headers["Location"].startswith("/login")


def test_days_are_the_teams_days(tech_client, week):
    days = {row[0]: row[1:] for row in rows_of(tech_client, "days", range="7")[1:]}
    # The 00:30 ticket counts for Wednesday in Berlin; both resolutions too.
    assert days[BERLIN_WEDNESDAY] == ["2", "2", "1"]
    assert days["2026-11-23"] == ["1", "0", "1"]
    assert days["2026-11-24"] == ["0", "0", "1"]


def test_reaction_times_by_priority(tech_client, week):
    times = {(row[0], row[1]): row[2:] for row in rows_of(tech_client, "times", range="7")[1:]}
    assert times[("Time to acknowledge", "Urgent")] == ["1", "10.0", "10.0"]
    assert times[("Time to first answer", "Urgent")] == ["1", "30.0", "30.0"]
    assert times[("Time to resolve", "All")] == ["2", "150.0", "2970.0"]
    assert times[("Time to acknowledge", "Normal")] == ["0", "", ""]
    shown = report_page(tech_client, range="7")
    assert '<th scope="row">Urgent</th><td>10 min</td><td>10 min</td><td>1</td>' in shown


def test_per_tech_load_and_escalation(tech_client, week):
    assert rows_of(tech_client, "techs", range="7")[1:] == [["Ann", "1", "1", "30.0"]]
    shown = report_page(tech_client, range="7")
    # Ann's ticket never went past her; the night ticket paged the second level, at 00:30.
    assert "33 % (1 of 3)" in shown
    assert "1 of 2" in shown and "Pages per ticket</dt><dd>0.7" in shown
    assert rows_of(tech_client, "pages", range="7")[1:] == [["Ann", "1"], ["Bob", "1"]]


def test_a_from_to_period_counts_only_its_days(tech_client, week):
    args = {"range": "custom", "start": BERLIN_WEDNESDAY, "end": BERLIN_WEDNESDAY}
    days = rows_of(tech_client, "days", **args)
    assert days[1:] == [[BERLIN_WEDNESDAY, "2", "2", "1"]]
    assert "25 Nov 2026 to 25 Nov 2026 (1 days" in report_page(tech_client, **args)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"range": "custom", "start": "2026-11-25", "end": "2026-11-20"}, "must not come before"),
        ({"range": "custom", "start": "2025-01-01", "end": "2026-11-25"}, "At most 366 days"),
        ({"range": "custom", "end": "2026-11-25"}, "Give the first day."),
        ({"range": "custom", "start": "tuesday", "end": "2026-11-25"}, "Not a valid date"),
    ],
)
def test_a_bad_period_is_named_and_the_last_30_days_are_shown(tech_client, week, args, message):
    response = tech_client.get("/reports/", query_string=args)
    assert response.status_code == 422
    shown = response.get_data(as_text=True)
    assert message in shown and "(30 days" in shown


def test_an_unknown_table_is_a_404(tech_client):
    assert tech_client.get("/reports/secrets.csv").status_code == 404


def test_the_charts_are_drawn_here_and_fit_their_box(tech_client, week):
    shown = report_page(tech_client, range="7")
    assert shown.count('<svg class="chart" viewBox="0 0 400 180"') == 2
    assert (
        "25 Nov: 2 created" in shown and 'aria-label="Open tickets at the end of each day"' in shown
    )


def test_an_empty_period_shows_dashes_not_errors(tech_client, clock):
    clock.current = datetime(2026, 11, 25, 9, tzinfo=UTC) + timedelta(days=400)
    shown = report_page(tech_client)
    assert "No answers were delivered in this period." in shown
