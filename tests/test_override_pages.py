"""The override pages and cover requests: admins add any override, a tech only puts themselves
on call; overlaps are refused naming the other override and person; times are the team's; the
requester or an admin cancels a cover request."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from page_helpers import errors_of, text_of

from models import AuditEvent
from on_call_schedule import Role
from schedule_models import CoverRequest, CoverStatus, Override

NOBODY = 0


@pytest.fixture
def team(make_user):
    """Ann and Bob (ids 2 and 3 after the admin; the tech, when asked for, comes later)."""
    return make_user("ann", full_name="Ann"), make_user("bob", full_name="Bob")


def override_form(person, kind="primary", starts="2026-12-24T18:00", ends="2026-12-27T09:00", **f):
    return {
        "person": person,
        "kind": kind,
        "replaces": f.get("replaces", NOBODY),
        "starts": starts,
        "ends": ends,
        "note": f.get("note", ""),
    }


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_admin_adds_a_replacement_and_sees_it_listed(admin_client, team, db, clock):
    ann, bob = team
    response = admin_client.post(
        "/schedule/overrides/new",
        data=override_form(bob.id, kind="replaces", replaces=ann.id, note="holiday"),
    )
    assert response.location == "/schedule/overrides/"
    page = text_of(admin_client.get("/schedule/overrides/"))
    assert "Added the override: Bob replaces Ann, Thu 24 Dec 18:00 to Sun 27 Dec 09:00." in page
    assert "<td>Thu 24 Dec 18:00</td>" in page and "<td>holiday</td>" in page
    row = db.session.scalar(sa.select(Override))
    assert (row.user_id, row.replaces_id, row.role) == (bob.id, ann.id, None)
    assert row.starts_at == datetime(2026, 12, 24, 18, tzinfo=UTC)
    event = db.session.scalar(sa.select(AuditEvent).order_by(AuditEvent.id.desc()))
    assert event.action.value == "override_created"
    # The schedule page lists it too.
    assert "Bob replaces Ann" in text_of(admin_client.get("/schedule/"))


def test_times_are_typed_in_the_team_zone_and_stored_in_utc(app_config, admin_client, team, db):
    app_config["TIMEZONE"] = "Europe/Berlin"
    admin_client.application.config["TIMEZONE"] = "Europe/Berlin"
    admin_client.post("/schedule/overrides/new", data=override_form(team[0].id))
    row = db.session.scalar(sa.select(Override))
    assert row.starts_at == datetime(2026, 12, 24, 17, tzinfo=UTC)
    assert row.role is Role.PRIMARY


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"ends": "2026-12-24T18:00"}, "ends", "The end must be after the start."),
        ({"ends": "2026-12-24T17:00"}, "ends", "The end must be after the start."),
        ({"starts": ""}, "starts", "Give a start (date and time)."),
        ({"ends": "soon"}, "ends", "Not a valid datetime value."),
        ({"kind": "replaces"}, "replaces", "Choose whom they replace."),
        ({"kind": "replaces", "replaces": 2}, "replaces", "Someone cannot replace themselves."),
        ({"kind": "boss"}, "kind", "Not a valid choice."),
        ({"person": 99}, "person", "Not a valid choice."),
        ({"starts": "0001-01-01T00:00"}, "starts", "Give a date between 1970 and 2200."),
        ({"ends": "9999-12-31T23:59"}, "ends", "Give a date between 1970 and 2200."),
    ],
)
def test_bad_input_is_a_form_error_naming_the_field(admin_client, team, db, data, field, message):
    form = override_form(team[0].id)
    form.update(data)
    response = admin_client.post("/schedule/overrides/new", data=form)
    assert response.status_code == 422
    assert message in errors_of(text_of(response), field)
    assert count(db, Override) == 0


def test_an_overlapping_override_for_the_same_person_is_refused_naming_the_other(
    admin_client, team, db
):
    ann, bob = team
    admin_client.post("/schedule/overrides/new", data=override_form(ann.id))
    response = admin_client.post(
        "/schedule/overrides/new",
        data=override_form(
            bob.id,
            kind="replaces",
            replaces=ann.id,
            starts="2026-12-26T08:00",
            ends="2026-12-28T08:00",
        ),
    )
    assert response.status_code == 422
    assert (
        "This overlaps another override for Ann: Ann is primary, Thu 24 Dec 18:00 to "
        "Sun 27 Dec 09:00 (override #1)."
    ) in text_of(response)
    assert count(db, Override) == 1
    # Touching is fine: one ends as the next begins.
    touching = override_form(bob.id, starts="2026-12-27T09:00", ends="2026-12-28T09:00")
    assert admin_client.post("/schedule/overrides/new", data=touching).status_code == 302


def test_a_tech_puts_themselves_on_call_and_no_one_else(tech_client, tech, team, db):
    page = text_of(tech_client.get("/schedule/overrides/new"))
    assert "Put myself on call" in page
    assert 'value="replaces"' not in page  # standing in for a colleague is a cover request
    response = tech_client.post("/schedule/overrides/new", data=override_form(tech.id))
    assert response.status_code == 302
    refused = [
        override_form(team[0].id),
        override_form(tech.id, kind="replaces", replaces=team[0].id),
    ]
    for data in refused:
        response = tech_client.post("/schedule/overrides/new", data=data)
        assert response.status_code == 422
        assert "Not a valid choice." in text_of(response)
    assert count(db, Override) == 1


def test_a_tech_removes_only_their_own_override(tech_client, admin_client, tech, team, db):
    admin_client.post("/schedule/overrides/new", data=override_form(team[0].id))
    tech_client.post(
        "/schedule/overrides/new",
        data=override_form(tech.id, starts="2026-12-28T09:00", ends="2026-12-29T09:00"),
    )
    page = text_of(tech_client.get("/schedule/overrides/"))
    assert page.count(">Remove</button>") == 1
    assert tech_client.post("/schedule/overrides/1/delete").status_code == 403
    assert tech_client.post("/schedule/overrides/2/delete").status_code == 302
    assert admin_client.post("/schedule/overrides/1/delete").status_code == 302
    assert count(db, Override) == 0
    event = db.session.scalar(sa.select(AuditEvent).order_by(AuditEvent.id.desc()))
    assert event.action.value == "override_deleted"


def test_past_overrides_are_not_listed(admin_client, team, clock):
    admin_client.post(
        "/schedule/overrides/new",
        data=override_form(team[0].id, starts="2026-11-20T09:00", ends="2026-11-21T09:00"),
    )
    page = text_of(admin_client.get("/schedule/overrides/"))
    assert "No overrides now or to come." in page


def cover(db, requester, **fields) -> CoverRequest:
    row = CoverRequest(
        requester_id=requester.id,
        starts_at=datetime(2026, 12, 1, 9, tzinfo=UTC),
        ends_at=datetime(2026, 12, 1, 17, tzinfo=UTC),
        note=fields.get("note", ""),
    )
    db.session.add(row)
    db.session.commit()
    return row


def test_open_cover_requests_are_listed_and_the_requester_cancels(
    tech_client, tech, team, db, clock
):
    row = cover(db, tech, note="dentist")
    page = text_of(tech_client.get("/schedule/"))
    assert "Tess Tech asks for cover Tue 01 Dec 09:00 to Tue 01 Dec 17:00: dentist" in page
    response = tech_client.post(f"/schedule/cover/{row.id}/cancel")
    assert "Cancelled the cover request." in text_of(tech_client.get(response.location))
    db.session.refresh(row)
    assert (row.status, row.closed_at) == (CoverStatus.CANCELLED, clock.current)
    assert "No open cover requests." in text_of(tech_client.get("/schedule/"))
    # Twice is no harm: it says so.
    response = tech_client.post(f"/schedule/cover/{row.id}/cancel")
    assert "no longer open" in text_of(tech_client.get(response.location))


def test_only_the_requester_or_an_admin_cancels(tech_client, admin_client, team, db):
    row = cover(db, team[0])
    assert ">Cancel</button>" not in text_of(tech_client.get("/schedule/"))
    assert tech_client.post(f"/schedule/cover/{row.id}/cancel").status_code == 403
    assert admin_client.post(f"/schedule/cover/{row.id}/cancel").status_code == 302
    db.session.refresh(row)
    assert row.status is CoverStatus.CANCELLED
    event = db.session.scalar(sa.select(AuditEvent).order_by(AuditEvent.id.desc()))
    assert event.action.value == "cover_cancelled"


def test_an_admins_override_and_its_removal_tell_the_techs_whose_week_changed(
    admin_client, make_user, db, clock
):
    from datetime import time

    from desk import shift_notices
    from models import Notification, NotificationKind, ScheduleSlot

    # Notices go to Telegram: both are linked.
    ann = make_user("ann", full_name="Ann", telegram_user_id=11)
    bob = make_user("bob", full_name="Bob", telegram_user_id=12)
    db.session.add(
        ScheduleSlot(weekday=3, start_time=time(9), end_time=time(17), primary_id=ann.id)
    )
    db.session.commit()
    tomorrow = {"starts": "2026-11-26T10:00", "ends": "2026-11-26T12:00"}
    form = override_form(bob.id, kind="replaces", replaces=ann.id) | tomorrow
    assert admin_client.post("/schedule/overrides/new", data=form).status_code == 302

    def notices() -> dict[int, list[dict]]:
        rows = db.session.scalars(
            sa.select(Notification)
            .where(Notification.kind == NotificationKind.SHIFT_CHANGE)
            .order_by(Notification.id)
        )
        found: dict[int, list[dict]] = {}
        for row in rows:
            found.setdefault(row.user_id, []).append(shift_notices.payload_of(row))
        return found

    told = notices()
    assert set(told) == {ann.id, bob.id}
    assert told[bob.id][0]["added"][0]["start"] == "2026-11-26T10:00:00+00:00"
    override = db.session.scalar(sa.select(Override))
    admin_client.post(f"/schedule/overrides/{override.id}/delete")
    told = notices()
    assert len(told[bob.id]) == 2 and told[bob.id][1]["removed"]
    # A refused override (overlapping Bob's own) tells nobody anything.
    admin_client.post("/schedule/overrides/new", data=form)
    before = sum(len(v) for v in notices().values())
    admin_client.post("/schedule/overrides/new", data=form)
    assert sum(len(v) for v in notices().values()) == before
