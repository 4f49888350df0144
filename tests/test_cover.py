"""Cover requests: asked from Telegram, taken by the first tech to press I'll cover."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from test_shift_notices import day_shift

from desk import cover
from models import Notification, NotificationKind
from on_call_schedule import Role
from schedule_models import CoverRequest, CoverStatus, Override

GROUP = -100777
ANN, BOB, CID = 1, 2, 3


@pytest.fixture
def team(app, db, make_user, clock):
    """Ann is primary on Wednesday 09:15-18:00; Bob and Cid are linked and free."""
    app.config["SUPPORT_GROUP_ID"] = GROUP
    ann = make_user("ann", full_name="Ann", telegram_user_id=ANN)
    bob = make_user("bob", full_name="Bob", telegram_user_id=BOB)
    cid = make_user("cid", full_name="Cid", telegram_user_id=CID)
    day_shift(db, ann)
    return ann, bob, cid


def ask(api, telegram_user_id=ANN, range_=""):
    return api.post("/api/cover", json={"telegram_user_id": telegram_user_id, "range": range_})


def take(api, cover_id, telegram_user_id):
    return api.post(f"/api/cover/{cover_id}/take", json={"telegram_user_id": telegram_user_id})


def notes(db, kind):
    return db.session.scalars(sa.select(Notification).where(Notification.kind == kind)).all()


def primary_at(api, at: str) -> str:
    answer = api.get("/api/current_oncall", query_string={"at": at}).get_json()
    return answer["primary"]["name"]


def test_cover_without_a_range_asks_for_the_next_shift_in_the_group(api, db, team):
    response = ask(api)
    assert response.status_code == 201, response.get_json()
    asked = response.get_json()["cover"]
    assert (asked["start"], asked["end"]) == (
        "2026-11-25T09:15:00+00:00",
        "2026-11-25T18:00:00+00:00",
    )
    (post,) = notes(db, NotificationKind.COVER_REQUEST)
    assert post.chat_id == GROUP
    pending = api.get("/api/notifications/pending").get_json()["notifications"]
    assert pending[0]["notice"]["requester"] == "Ann"
    assert pending[0]["notice"]["cover_id"] == asked["id"]


def test_the_first_to_press_covers_and_pages_go_to_them(api, db, team):
    ann, bob, _ = team
    cover_id = ask(api).get_json()["cover"]["id"]
    won = take(api, cover_id, BOB)
    assert won.status_code == 200, won.get_json()
    assert won.get_json()["cover"]["covered_by"] == "Bob"
    late = take(api, cover_id, CID)
    assert late.status_code == 409
    assert late.get_json()["error"] == "Bob covers this already."
    assert primary_at(api, "2026-11-25T10:00:00+00:00") == "Bob"
    (override,) = db.session.scalars(sa.select(Override)).all()
    assert (override.user_id, override.replaces_id) == (bob.id, ann.id)
    told = {n.chat_id for n in notes(db, NotificationKind.SHIFT_CHANGE)}
    assert told == {ANN, BOB}  # both hear what changed in their shifts


def test_a_range_in_the_team_zone_is_covered_in_part(api, db, team):
    response = ask(api, range_="2026-11-25 12:00 to 14:00")
    assert response.status_code == 201, response.get_json()
    take(api, response.get_json()["cover"]["id"], BOB)
    assert primary_at(api, "2026-11-25T11:59:00+00:00") == "Ann"
    assert primary_at(api, "2026-11-25T13:00:00+00:00") == "Bob"
    assert primary_at(api, "2026-11-25T14:00:00+00:00") == "Ann"


@pytest.mark.parametrize(
    ("who", "range_", "status", "says"),
    [
        (BOB, "", 422, "no shift in the next 30 days"),
        (ANN, "2026-11-26 09:00 to 12:00", 422, "no shift in that range"),
        (ANN, "tomorrow please", 400, "range"),
        (ANN, "2026-11-25 14:00 to 12:00", 422, "end of the range must be after"),
        (ANN, "2026-02-30 09:00 to 12:00", 400, "range"),
        (4242, "", 403, "/link"),
    ],
)
def test_bad_cover_requests_are_refused_and_nothing_is_stored(
    api, db, team, who, range_, status, says
):
    response = ask(api, who, range_)
    assert response.status_code == status
    assert says in response.get_json()["error"]
    assert db.session.scalar(sa.select(sa.func.count(CoverRequest.id))) == 0
    assert notes(db, NotificationKind.COVER_REQUEST) == []


def test_the_asker_cannot_cover_themselves(api, db, team):
    cover_id = ask(api).get_json()["cover"]["id"]
    assert take(api, cover_id, ANN).status_code == 403


def test_an_overlapping_override_of_the_coverer_is_refused_clearly(api, db, team):
    _, bob, _ = team
    db.session.add(
        Override(
            starts_at=datetime(2026, 11, 25, 10, tzinfo=UTC),
            ends_at=datetime(2026, 11, 25, 11, tzinfo=UTC),
            user_id=bob.id,
            role=Role.BACKUP,
        )
    )
    db.session.commit()
    cover_id = ask(api).get_json()["cover"]["id"]
    refused = take(api, cover_id, BOB)
    assert refused.status_code == 409
    assert "overlaps override #1" in refused.get_json()["error"]
    assert db.session.get(CoverRequest, cover_id).status == CoverStatus.OPEN
    assert take(api, cover_id, CID).status_code == 200


def test_cancel_by_the_asker_closes_the_request(api, db, team):
    ann, bob, _ = team
    cover_id = ask(api).get_json()["cover"]["id"]
    request = db.session.get(CoverRequest, cover_id)
    with pytest.raises(cover.CoverRefused):
        cover.cancel(request, bob)
    cover.cancel(request, ann)
    db.session.commit()
    assert request.status == CoverStatus.CANCELLED
    late = take(api, cover_id, BOB)
    assert late.status_code == 409
    assert "cancelled" in late.get_json()["error"]


def test_oncall_lists_who_covers_whom(api, db, team):
    take(api, ask(api).get_json()["cover"]["id"], BOB)
    overview = api.get("/api/oncall").get_json()
    assert overview["overrides"] == [
        {
            "id": 1,
            "start": "2026-11-25T09:15:00+00:00",
            "end": "2026-11-25T18:00:00+00:00",
            "person": "Bob",
            "replaces": "Ann",
            "role": None,
        }
    ]


def test_without_a_team_group_there_is_nowhere_to_ask(app, api, db, team):
    app.config["SUPPORT_GROUP_ID"] = None
    refused = ask(api)
    assert refused.status_code == 409
    assert "SUPPORT_GROUP_ID" in refused.get_json()["error"]
    assert db.session.scalar(sa.select(sa.func.count(CoverRequest.id))) == 0
