"""Calendar feeds: a secret URL of one's own shifts and the team's, from the final schedule."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
import sqlalchemy as sa
from test_schedule_storage import always, rotation

from models import User
from schedule_models import Override


def make_url(client) -> tuple[str, str]:
    page = client.post("/account/calendar").get_data(as_text=True)
    mine = re.search(r'data-role="calendar-mine">([^<]+)<', page).group(1)
    team = re.search(r'data-role="calendar-team">([^<]+)<', page).group(1)
    return mine.replace("http://localhost", ""), team.replace("http://localhost", "")


def events(client, path: str) -> list[icalendar.Event]:
    response = client.get(path)
    assert response.status_code == 200
    assert response.content_type.startswith("text/calendar")
    return icalendar.Calendar.from_ical(response.data).walk("VEVENT")


@pytest.fixture
def team(db, make_user, tech, clock):
    """Tess and Ann take weekly turns as primary, Bob is backup; Bob covers Tess on Friday."""
    ann = make_user("ann", full_name="Ann", telegram_user_id=1)
    bob = make_user("bob", full_name="Bob", telegram_user_id=2)
    always(db, primary_rotation=rotation(db, "Weekly", [tech, ann]), backups=[bob])
    db.session.add(
        Override(
            starts_at=datetime(2026, 12, 4, 18, tzinfo=UTC),
            ends_at=datetime(2026, 12, 7, 9, tzinfo=UTC),
            user_id=bob.id,
            replaces_id=tech.id,
        )
    )
    db.session.commit()
    return tech, ann, bob


def test_a_users_feed_agrees_with_the_api_every_hour_of_four_weeks(
    app, api, db, team, tech_client, clock
):
    """What the calendar says is what the bot does: for every hour of the next four weeks, Tess
    has an event exactly when /api/current_oncall puts her in the chain, in the same role."""
    tess, ann, bob = team
    db.session.execute(sa.update(User).where(User.id == tess.id).values(telegram_user_id=3))
    db.session.commit()  # reachable, so the API's chain names her wherever the schedule does
    app.config["TIMEZONE"] = "Europe/Berlin"
    mine, _ = make_url(tech_client)
    found = events(tech_client, mine)
    assert found and all(e["dtstart"].params["TZID"] == "Europe/Berlin" for e in found)
    for hour in range(4 * 7 * 24):
        at = clock.current + timedelta(hours=hour)
        answer = api.get("/api/current_oncall", query_string={"at": at.isoformat()}).get_json()
        chain = [person["id"] for person in answer["chain"]]
        expected = set()
        if tess.id in chain:
            expected = {"primary" if chain[0] == tess.id else "backup"}
        roles = {
            str(e["x-on-call-role"])
            for e in found
            if e.decoded("dtstart") <= at < e.decoded("dtend")
        }
        assert roles == expected, at


def test_the_team_feed_names_each_person_and_role_and_shows_the_cover(db, team, tech_client):
    _, team_url = make_url(tech_client)
    summaries = {str(e["summary"]) for e in events(tech_client, team_url)}
    assert "\u2068Bob\u2069 on call (backup)" in summaries
    assert "\u2068Bob\u2069 on call (primary)" in summaries  # the Friday override
    assert "\u2068Ann\u2069 on call (primary)" in summaries


def test_only_the_hash_is_stored_and_a_new_url_retires_the_old(db, team, tech_client):
    old, old_team = make_url(tech_client)
    secret = old.split("/")[2]
    stored = db.session.scalar(sa.select(User.calendar_token_hash).where(User.username == "tess"))
    assert secret not in stored and len(stored) == 64
    new, _ = make_url(tech_client)
    assert tech_client.get(old).status_code == 404
    assert tech_client.get(old_team).status_code == 404
    assert tech_client.get(new).status_code == 200


@pytest.mark.parametrize("path", ["/calendar/wrong/mine.ics", "/calendar/wrong/team.ics"])
def test_a_wrong_secret_is_not_found(client, db, team, path):
    assert client.get(path).status_code == 404


def test_the_feed_needs_no_login_and_the_url_is_shown_once(app, db, team, tech_client):
    mine, _ = make_url(tech_client)
    assert app.test_client().get(mine).status_code == 200
    account = tech_client.get("/account").get_data(as_text=True)
    assert mine.split("/")[2] not in account
    assert "Make a new calendar URL" in account


def test_turning_the_url_off_retires_it(db, team, tech_client):
    mine, _ = make_url(tech_client)
    tech_client.post("/account/calendar/retire")
    assert tech_client.get(mine).status_code == 404


def test_a_deactivated_users_url_stops_working(app, db, team, tech_client):
    mine, _ = make_url(tech_client)
    team[0].active = False
    db.session.commit()
    assert app.test_client().get(mine).status_code == 404


@pytest.mark.parametrize(("choice", "stored"), [("off", None), ("30", 30), ("15", 15)])
def test_reminders_are_set_on_the_account_page(db, tech, tech_client, choice, stored):
    response = tech_client.post("/account/reminders", data={"minutes": choice})
    assert response.status_code == 302
    db.session.refresh(tech)
    assert tech.reminder_minutes == stored


def test_a_reminder_time_not_offered_is_refused(db, tech, tech_client):
    tech_client.post("/account/reminders", data={"minutes": "7"})
    db.session.refresh(tech)
    assert tech.reminder_minutes == 15
    assert "Choose one of the reminder times" in tech_client.get("/account").get_data(as_text=True)


def test_the_request_log_hides_the_feed_secret():
    import logging

    from desk.calendar_pages import HideFeedSecrets

    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        "",
        0,
        '%s - - "%s" %s',
        ("1.2.3.4", "GET /calendar/s3cr3t/mine.ics HTTP/1.1", 200),
        None,
    )
    assert HideFeedSecrets().filter(record)
    assert "s3cr3t" not in record.getMessage()
    assert "/calendar/<secret>/mine.ics" in record.getMessage()


def test_the_account_page_shows_the_reminder_time_and_the_calendar_part(db, tech, tech_client):
    tech_client.post("/account/reminders", data={"minutes": "60"})
    page = tech_client.get("/account").get_data(as_text=True)
    assert '<option value="60" selected>1 hour</option>' in page
    assert "Make a calendar URL" in page
    assert "Make a new calendar URL" not in page
