"""The rotation pages: adding one, whose turn it is, member changes from the next handoff on,
form errors naming the field, delete only while no slot names it, and the audit lines."""

from __future__ import annotations

from datetime import time

import pytest
import sqlalchemy as sa
from page_helpers import errors_of, text_of

from models import AuditEvent, ScheduleSlot
from schedule_models import Rotation, RotationLineup

NOBODY = 0


@pytest.fixture
def team(make_user):
    """Ann, Bob and Cid (ids 2, 3, 4; the admin is 1)."""
    return (
        make_user("ann", full_name="Ann"),
        make_user("bob", full_name="Bob"),
        make_user("cid", full_name="Cid"),
    )


def rotation_form(name="Support", count=1, unit="weeks", members=(), **fields):
    data = {
        "name": name,
        "shift_count": count,
        "shift_unit": unit,
        "handoff_weekday": fields.get("weekday", 0),
        "handoff_time": fields.get("at", "09:00"),
        "start_date": fields.get("start", "2026-11-02"),
    }
    for n in range(1, 9):
        data[f"member_{n}"] = members[n - 1] if n <= len(members) else NOBODY
    return data


def test_admin_adds_a_rotation_and_sees_whose_turn_it_is(admin_client, team, db, clock):
    ann, bob, cid = team
    response = admin_client.post(
        "/schedule/rotations/new", data=rotation_form(members=(ann.id, bob.id, cid.id))
    )
    assert response.location == "/schedule/rotations/"
    page = text_of(admin_client.get("/schedule/rotations/"))
    assert "Added the rotation Support." in page
    assert "1. Ann, 2. Bob, 3. Cid" in page
    assert "1 week, handoff Monday 09:00, from 2026-11-02" in page
    # Weeks from Mon 2 Nov: Ann, Bob, Cid, then Ann again from 23 Nov; Bob takes over 30 Nov.
    assert "now: Ann's turn, next handoff at Mon 30 Nov 09:00 to Bob" in page
    event = db.session.scalar(sa.select(AuditEvent).order_by(AuditEvent.id.desc()))
    assert (event.action.value, event.target) == ("rotation_created", "Support")


def test_a_rotation_not_started_yet_says_when_it_starts(admin_client, team, clock):
    ann, bob, _ = team
    admin_client.post(
        "/schedule/rotations/new",
        data=rotation_form(members=(bob.id, ann.id), start="2026-12-01", weekday=2, at="08:30"),
    )
    page = text_of(admin_client.get("/schedule/rotations/"))
    assert "starts at Wed 02 Dec 08:30 with Bob" in page


def test_the_form_says_what_is_fixed_at_creation(admin_client, team):
    page = text_of(admin_client.get("/schedule/rotations/new"))
    assert "fixed once the rotation exists" in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"members": ()}, "member_1", "A rotation needs at least one member."),
        ({"count": 0}, "shift_count", "The shift length must be at least 1 week, got 0."),
        ({"count": 53}, "shift_count", "The shift length must be at most 52 weeks, got 53 weeks."),
        (
            {"count": 365, "unit": "days"},
            "shift_count",
            "The shift length must be at most 52 weeks, got 365 days.",
        ),
        ({"count": "x"}, "shift_count", "Not a valid integer value."),
        ({"name": "  "}, "name", "Give the rotation a name."),
        ({"at": "25:00"}, "handoff_time", "Not a valid time value."),
        ({"unit": "months"}, "shift_unit", "Not a valid choice."),
        ({"start": "9999-12-31"}, "start_date", "Give a date between 1970 and 2200."),
    ],
)
def test_bad_input_is_a_form_error_naming_the_field(admin_client, team, db, data, field, message):
    data = {"members": (team[0].id,), **data}
    response = admin_client.post("/schedule/rotations/new", data=rotation_form(**data))
    assert response.status_code == 422
    assert message in errors_of(text_of(response), field)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Rotation)) == 0


def test_a_duplicate_name_is_refused(admin_client, team, db):
    members = (team[0].id,)
    admin_client.post("/schedule/rotations/new", data=rotation_form(members=members))
    response = admin_client.post(
        "/schedule/rotations/new", data=rotation_form(name="support", members=members)
    )
    assert response.status_code == 422
    assert errors_of(text_of(response), "name") == ["A rotation with this name exists already."]


def test_a_person_twice_in_one_list_is_refused(admin_client, team):
    ann = team[0]
    response = admin_client.post(
        "/schedule/rotations/new", data=rotation_form(members=(ann.id, ann.id))
    )
    assert errors_of(text_of(response), "member_2") == ["This person is already an earlier member."]


def test_a_member_change_adds_a_list_from_now_and_keeps_the_running_shift(
    admin_client, team, db, clock
):
    ann, bob, cid = team
    admin_client.post("/schedule/rotations/new", data=rotation_form(members=(ann.id, bob.id)))
    rotation = db.session.scalar(sa.select(Rotation))
    page = text_of(admin_client.get(f"/schedule/rotations/{rotation.id}/members"))
    assert "the shift running now and every past shift keep their person" in page
    response = admin_client.post(
        f"/schedule/rotations/{rotation.id}/members", data=rotation_form(members=(cid.id,))
    )
    assert response.status_code == 302
    lineups = db.session.scalars(sa.select(RotationLineup).order_by(RotationLineup.id)).all()
    assert [lineup.effective_from for lineup in lineups] == [None, clock.current]
    page = text_of(admin_client.get("/schedule/rotations/"))
    # Week 4 from 2 Nov is Bob's (Ann, Bob, Ann, Bob); Cid takes over at the next handoff.
    assert "now: Bob's turn, next handoff at Mon 30 Nov 09:00 to Cid" in page
    assert "1. Cid" in page
    event = db.session.scalar(sa.select(AuditEvent).order_by(AuditEvent.id.desc()))
    assert (event.action.value, event.detail) == ("rotation_members_changed", "Cid")


def test_a_member_change_with_no_members_is_refused(admin_client, team, db):
    admin_client.post("/schedule/rotations/new", data=rotation_form(members=(team[0].id,)))
    response = admin_client.post("/schedule/rotations/1/members", data=rotation_form(members=()))
    assert response.status_code == 422
    assert errors_of(text_of(response), "member_1") == ["A rotation needs at least one member."]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RotationLineup)) == 1


def test_a_rotation_a_slot_names_cannot_be_deleted(admin_client, team, db):
    admin_client.post("/schedule/rotations/new", data=rotation_form(members=(team[0].id,)))
    rotation = db.session.scalar(sa.select(Rotation))
    db.session.add(
        ScheduleSlot(
            weekday=1, start_time=time(8), end_time=time(16), primary_rotation_id=rotation.id
        )
    )
    db.session.commit()
    response = admin_client.post(f"/schedule/rotations/{rotation.id}/delete")
    page = text_of(admin_client.get(response.location))
    assert "Support is still in these slots: Tuesday 08:00–16:00. Change them first." in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Rotation)) == 1


def test_an_unused_rotation_is_deleted(admin_client, team, db):
    admin_client.post("/schedule/rotations/new", data=rotation_form(members=(team[0].id,)))
    response = admin_client.post("/schedule/rotations/1/delete")
    assert "Deleted the rotation Support." in text_of(admin_client.get(response.location))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Rotation)) == 0
    event = db.session.scalar(sa.select(AuditEvent).order_by(AuditEvent.id.desc()))
    assert event.action.value == "rotation_deleted"


def test_unknown_rotations_are_404(admin_client):
    assert admin_client.get("/schedule/rotations/9/members").status_code == 404
    assert admin_client.post("/schedule/rotations/9/delete").status_code == 404


def slot_form(primary, backups=(), weekday=0, start="08:00", end="16:00"):
    data = {"weekday": weekday, "start": start, "end": end, "primary": primary}
    for n in range(1, 5):
        data[f"backup_{n}"] = backups[n - 1] if n <= len(backups) else NOBODY
    return data


def test_a_slot_names_a_rotation_as_primary_or_backup(admin_client, team, db):
    ann, bob, _ = team
    admin_client.post("/schedule/rotations/new", data=rotation_form(members=(ann.id, bob.id)))
    new = admin_client.get("/schedule/new").get_data(as_text=True)
    assert '<option value="r1">Rotation: Support</option>' in new
    response = admin_client.post("/schedule/new", data=slot_form("r1", backups=(ann.id,)))
    assert response.status_code == 302
    slot = db.session.scalar(sa.select(ScheduleSlot))
    assert (slot.primary_id, slot.primary_rotation_id) == (None, 1)
    page = text_of(admin_client.get("/schedule/"))
    assert '<td data-label="Primary">Rotation: Support</td>' in page
    assert '<td data-label="Backups">1. Ann</td>' in page
    assert '<span class="name-long">Rotation: Support</span>' in page
    edit = admin_client.get(f"/schedule/{slot.id}/edit").get_data(as_text=True)
    assert '<option selected value="r1">' in edit
    admin_client.post(f"/schedule/{slot.id}/edit", data=slot_form(bob.id, backups=("r1",)))
    db.session.refresh(slot)
    assert (slot.primary_id, [b.rotation_id for b in slot.backups]) == (bob.id, [1])


def test_a_slot_overlapping_a_rotation_slot_names_the_rotation(admin_client, team, db):
    admin_client.post("/schedule/rotations/new", data=rotation_form(members=(team[0].id,)))
    admin_client.post("/schedule/new", data=slot_form("r1"))
    response = admin_client.post("/schedule/new", data=slot_form(team[1].id, start="12:00"))
    assert response.status_code == 422
    assert "overlaps the Monday 08:00–16:00 slot of Rotation: Support." in text_of(response)


def test_the_same_rotation_twice_in_a_slot_is_refused(admin_client, team):
    admin_client.post("/schedule/rotations/new", data=rotation_form(members=(team[0].id,)))
    response = admin_client.post("/schedule/new", data=slot_form("r1", backups=("r1",)))
    assert errors_of(text_of(response), "backup_1") == [
        "The primary cannot also be a backup of the same slot."
    ]
    response = admin_client.post("/schedule/new", data=slot_form(team[1].id, backups=("r1", "r1")))
    twice = "This rotation is already an earlier backup."
    assert errors_of(text_of(response), "backup_2") == [twice]


def test_a_made_up_choice_is_a_form_error_not_a_crash(admin_client, team):
    for value in ("r99", "rx", "x", "-1"):
        response = admin_client.post("/schedule/new", data=slot_form(value))
        assert response.status_code == 422
        assert errors_of(text_of(response), "primary") == ["Not a valid choice."]
