"""The on-call schedule pages: slots, backups in order, overlap rules and the weekly grid."""

from __future__ import annotations

import html
import re
from datetime import time

import pytest
import sqlalchemy as sa

from models import ScheduleBackup, ScheduleSlot
from user_text import FSI, PDI

NOBODY = 0


@pytest.fixture
def team(make_user):
    """Ann, Bob and Cid, linked to Telegram (ids 2, 3, 4; the admin is 1)."""
    return (
        make_user("ann", full_name="Ann", telegram_user_id=9001),
        make_user("bob", full_name="Bob", telegram_user_id=9002),
        make_user("cid", full_name="Cid", telegram_user_id=9003),
    )


def slot_form(weekday=0, start="08:00", end="16:00", primary=None, backups=()):
    data = {"weekday": weekday, "start": start, "end": end, "primary": primary}
    for n in range(1, 5):
        data[f"backup_{n}"] = backups[n - 1] if n <= len(backups) else NOBODY
    return data


def add_slot(db, weekday, start, end, primary, backups=()):
    slot = ScheduleSlot(weekday=weekday, start_time=start, end_time=end, primary_id=primary.id)
    slot.backups = [ScheduleBackup(user_id=u.id, position=i) for i, u in enumerate(backups)]
    db.session.add(slot)
    db.session.commit()
    return slot


def text_of(response) -> str:
    return response.get_data(as_text=True)


def grid_cells(page: str) -> list[tuple[str, str, str]]:
    """(rowspan, primary, backups) of each covered cell of the grid, in document order."""
    page = re.sub(r"</?bdi>", "", page)  # each name is isolated; the cells' text is the same
    return re.findall(
        r'<td rowspan="(\d+)" class="slot-cell[^"]*" data-slot="\d+">\s*'
        r'<span class="cell-primary"><span class="name-long">([^<]*)</span>.*?</span></span>\s*'
        r'(?:<span class="cell-backups"><span class="name-long">([^<]*)</span>)?',
        page,
    )


def test_admin_adds_a_slot_with_ordered_backups(admin_client, team, db):
    ann, bob, cid = team
    response = admin_client.post(
        "/schedule/new", data=slot_form(primary=ann.id, backups=(cid.id, NOBODY, bob.id))
    )
    assert response.location == "/schedule/"
    page = text_of(admin_client.get("/schedule/"))
    assert "Saved the Monday 08:00–16:00 slot." in page
    # The gap is closed, the order kept.
    assert '<td data-label="Backups">1. <bdi>Cid</bdi>, 2. <bdi>Bob</bdi></td>' in page
    slot = db.session.scalar(sa.select(ScheduleSlot))
    assert [b.user_id for b in slot.backups] == [cid.id, bob.id]
    assert grid_cells(page) == [("8", "Ann", "Cid, Bob")]


def test_a_slot_past_midnight_covers_the_next_morning(admin_client, team, db):
    ann, bob, _ = team
    admin_client.post(
        "/schedule/new", data=slot_form(weekday=6, start="22:00", end="06:00", primary=ann.id)
    )
    page = text_of(admin_client.get("/schedule/"))
    assert "Sunday 22:00–06:00 (next day)" in page
    # Monday 00-06 (rows come first in the table) and Sunday 22-24.
    assert grid_cells(page) == [("6", "Ann", ""), ("2", "Ann", "")]
    assert "160 hours of the week are not covered" in page


def test_the_grid_marks_uncovered_hours(admin_client, team, db):
    page = text_of(admin_client.get("/schedule/"))
    assert "168 hours of the week are not covered by any slot" in page
    assert page.count('class="uncovered') == 7  # one run per day
    add_slot(db, 0, time(0), time(0), team[0])
    page = text_of(admin_client.get("/schedule/"))
    assert "144 hours of the week are not covered" in page
    assert page.count('class="uncovered') == 6


def test_a_full_week_has_no_uncovered_hours(admin_client, on_call_team):
    page = text_of(admin_client.get("/schedule/"))
    assert "not covered" not in page
    assert 'class="uncovered' not in page
    assert len(grid_cells(page)) == 7


def test_the_grid_highlights_the_current_hour(admin_client, on_call_team, clock):
    page = text_of(admin_client.get("/schedule/"))
    assert page.count(" is-now") == 1  # Wednesday's cell holds 09:00


@pytest.mark.parametrize(
    ("existing", "candidate", "named"),
    [
        ((0, time(8), time(16)), (0, "12:00", "20:00"), "Monday 08:00–16:00"),
        ((0, time(8), time(16)), (0, "06:00", "09:00"), "Monday 08:00–16:00"),
        ((0, time(22), time(6)), (1, "05:00", "09:00"), "Monday 22:00–06:00 (next day)"),
        ((6, time(22), time(6)), (0, "05:00", "09:00"), "Sunday 22:00–06:00 (next day)"),
        ((2, time(0), time(0)), (2, "10:00", "11:00"), "Wednesday 00:00–00:00 (24 hours)"),
    ],
)
def test_an_overlapping_slot_is_refused_naming_the_slot_it_hits(
    admin_client, team, db, existing, candidate, named
):
    ann, bob, _ = team
    add_slot(db, *existing, ann)
    weekday, start, end = candidate
    response = admin_client.post(
        "/schedule/new", data=slot_form(weekday=weekday, start=start, end=end, primary=bob.id)
    )
    assert response.status_code == 422
    assert f"This slot overlaps the {named} slot of {FSI}Ann{PDI}." in text_of(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ScheduleSlot)) == 1


def test_slots_that_only_touch_are_fine(admin_client, team, db):
    ann, bob, _ = team
    add_slot(db, 0, time(22), time(6), ann)
    for data in (
        slot_form(weekday=1, start="06:00", end="14:00", primary=bob.id),
        slot_form(weekday=0, start="14:00", end="22:00", primary=bob.id),
    ):
        assert admin_client.post("/schedule/new", data=data).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ScheduleSlot)) == 3


def test_editing_a_slot_does_not_collide_with_itself(admin_client, team, db):
    ann, bob, cid = team
    slot = add_slot(db, 0, time(8), time(16), ann, [bob])
    page = text_of(admin_client.get(f"/schedule/{slot.id}/edit"))
    assert 'value="08:00"' in page and 'value="16:00"' in page
    assert re.search(
        r'<select id="backup_1" name="backup_1">.*?<option selected value="3">Bob', page, re.S
    )
    response = admin_client.post(
        f"/schedule/{slot.id}/edit",
        data=slot_form(start="09:00", end="17:00", primary=bob.id, backups=(cid.id, ann.id)),
    )
    assert response.location == "/schedule/"
    db.session.refresh(slot)
    assert (slot.start_time, slot.end_time, slot.primary_id) == (time(9), time(17), bob.id)
    assert [b.user_id for b in slot.backups] == [cid.id, ann.id]


def test_editing_a_slot_into_another_is_refused(admin_client, team, db):
    ann, bob, _ = team
    add_slot(db, 0, time(8), time(16), ann)
    evening = add_slot(db, 0, time(16), time(22), bob)
    response = admin_client.post(
        f"/schedule/{evening.id}/edit", data=slot_form(start="15:00", end="22:00", primary=bob.id)
    )
    assert response.status_code == 422
    assert f"This slot overlaps the Monday 08:00–16:00 slot of {FSI}Ann{PDI}." in text_of(response)
    db.session.refresh(evening)
    assert evening.start_time == time(16)


@pytest.mark.parametrize(
    ("backups", "field", "message"),
    [
        (("ann",), "backup_1", "The primary cannot also be a backup of the same slot."),
        (("bob", "ann"), "backup_2", "The primary cannot also be a backup of the same slot."),
        (("bob", "bob"), "backup_2", "This person is already an earlier backup."),
    ],
)
def test_a_primary_among_the_backups_is_refused(admin_client, team, db, backups, field, message):
    people = {u.username: u.id for u in team}
    response = admin_client.post(
        "/schedule/new",
        data=slot_form(primary=people["ann"], backups=tuple(people[b] for b in backups)),
    )
    assert response.status_code == 422
    assert re.search(rf'id="{field}-errors">\s*<li>{re.escape(message)}', text_of(response))
    assert db.session.scalar(sa.select(ScheduleSlot)) is None


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"start": "25:00"}, "start", "Not a valid time value."),
        ({"end": ""}, "end", "Give an end time (HH:MM)."),
        ({"weekday": "7"}, "weekday", "Not a valid choice."),
        ({"primary": "999"}, "primary", "Not a valid choice."),
    ],
)
def test_bad_slot_input_is_shown_next_to_the_field(admin_client, team, overrides, field, message):
    data = slot_form(primary=team[0].id) | overrides
    response = admin_client.post("/schedule/new", data=data)
    assert response.status_code == 422
    assert re.search(rf'id="{field}-errors">\s*<li>{re.escape(message)}', text_of(response))


def test_removing_a_slot_uncovers_its_hours(admin_client, team, db):
    slot = add_slot(db, 0, time(8), time(16), team[0])
    response = admin_client.post(f"/schedule/{slot.id}/delete")
    assert response.location == "/schedule/"
    page = text_of(admin_client.get("/schedule/"))
    assert "Removed the Monday 08:00–16:00 slot." in page
    assert "168 hours" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ScheduleBackup)) == 0


def test_people_the_bot_cannot_page_are_pointed_out(admin_client, make_user, db):
    unlinked = make_user("una", full_name="Una")
    gone = make_user("gus", full_name="Gus", telegram_user_id=9100, active=False)
    add_slot(db, 1, time(9), time(17), unlinked, [gone])
    page = text_of(admin_client.get("/schedule/"))
    una, gus = f"{FSI}Una{PDI}", f"{FSI}Gus{PDI}"
    assert (
        f"{una} has no linked Telegram account and will be skipped in: Tuesday 09:00–17:00." in page
    )
    assert f"{gus} is deactivated and will be skipped in: Tuesday 09:00–17:00." in page


def test_someone_unreachable_all_week_gets_one_warning(admin_client, make_user, db):
    una = make_user("una", full_name="Una")
    for weekday in range(5):
        add_slot(db, weekday, time(9), time(17), una, [una])
    page = text_of(admin_client.get("/schedule/"))
    assert page.count(f"{FSI}Una{PDI} has no linked Telegram account") == 1
    assert (
        "skipped in: Monday 09:00–17:00; Tuesday 09:00–17:00; Wednesday 09:00–17:00 and 2 more."
        in page
    )


def test_only_active_users_can_be_picked(admin_client, team, make_user):
    make_user("gus", full_name="Gus", active=False)
    page = text_of(admin_client.get("/schedule/new"))
    assert ">Ann</option>" in page
    assert ">Gus</option>" not in page


def test_schedule_page_names_the_time_zone(app, admin_client):
    app.config["TIMEZONE"] = "Europe/Berlin"
    assert "Weekly slots in Europe/Berlin time." in text_of(admin_client.get("/schedule/"))


def notice_texts(page: str) -> list[tuple[str, str]]:
    """(level, text) of each notice above the grid."""
    found = re.findall(r'<p class="notice notice-(\w+)"[^>]*>([^<]*)</p>', page)
    return [(level, html.unescape(text)) for level, text in found]


def test_fresh_install_schedule_says_nobody_can_be_paged_not_the_admins(admin_client, clock):
    page = text_of(admin_client.get("/schedule/"))
    assert "admins are paged" not in page  # the only admin has no Telegram account linked
    notices = notice_texts(page)
    assert notices[0][0] == "danger"
    assert notices[0][1].startswith(
        "Nobody can be paged now: no slot covers this hour, "
        "and no active admin has Telegram linked."
    )
    assert notices[1] == (
        "warning",
        "168 hours of the week are not covered by any slot, and no active admin has Telegram "
        "linked: nobody can be paged then.",
    )
    assert "No slots yet: every hour is uncovered, and nobody can be paged (no active admin" in page


def test_uncovered_hours_page_the_admins_once_one_is_linked(admin_client, admin, team, db, clock):
    admin.telegram_user_id = 7001
    db.session.commit()
    add_slot(db, 0, time(0), time(0), team[0])
    page = text_of(admin_client.get("/schedule/"))
    assert notice_texts(page)[:2] == [
        ("warning", "No slot covers this hour: the admins are paged."),
        (
            "warning",
            "144 hours of the week are not covered by any slot: the admins are paged then "
            f"({FSI}Administrator{PDI}).",
        ),
    ]


def test_schedule_page_says_who_is_paged_now(admin_client, on_call_team, clock):
    page = text_of(admin_client.get("/schedule/"))
    assert notice_texts(page) == [
        ("info", f"Paged now: {FSI}Ann{PDI}, then {FSI}Bob{PDI}, {FSI}Cid{PDI}.")
    ]


def test_schedule_page_names_why_nobody_in_the_slot_can_be_paged(
    admin_client, make_user, db, clock
):
    una = make_user("una", full_name="Una")
    add_slot(db, 2, time(8), time(16), una)  # Wednesday, and it is Wednesday 09:00
    level, text = notice_texts(text_of(admin_client.get("/schedule/")))[0]
    assert level == "danger"
    assert text.startswith(
        "Nobody can be paged now: nobody in the slot has Telegram linked, "
        "and no active admin has Telegram linked."
    )


def test_uncovered_hours_nobody_can_be_paged_in_say_what_happens_then(
    admin_client, team, db, clock
):
    add_slot(db, 2, time(8), time(16), team[0])  # Ann covers now, nobody covers the evening
    notices = notice_texts(text_of(admin_client.get("/schedule/")))
    assert notices[0] == ("info", f"Paged now: {FSI}Ann{PDI}.")
    assert notices[1] == (
        "warning",
        "160 hours of the week are not covered by any slot, and no active admin has Telegram "
        "linked: nobody can be paged then. Meanwhile nothing is sent for a new ticket: paging "
        "is retried every 15 min until someone can be paged. No team group is set "
        "(SUPPORT_GROUP_ID).",
    )


def test_week_grid_explains_its_marks_and_takes_keyboard_focus(admin_client):
    page = admin_client.get("/schedule/").get_data(as_text=True)
    assert "Outlined: the block this hour is in." in page
    assert re.search(r'<div class="grid-wrap" tabindex="0" role="region"', page)
