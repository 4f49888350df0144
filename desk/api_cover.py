"""The JSON API of cover requests: /cover from Telegram, and the I'll cover button.

Routes of the `api` blueprint (bearer token, JSON errors), kept apart so desk/api.py stays
one screenful of paging and delivery.
"""

from __future__ import annotations

import re
from datetime import datetime

import sqlalchemy as sa
from flask import jsonify

import weekly_schedule
from desk import clock, cover, database, oncall
from desk.api import bp, get_or_404, json_body
from desk.errors import ApiError
from desk.extensions import db
from desk.validation import Fields
from models import User
from schedule_models import CoverRequest

# "2026-12-24 18:00 to 2026-12-27 09:00", or "2026-12-24 18:00 to 22:00" on the same day.
RANGE = re.compile(
    r"^\s*(\d{4}-\d{2}-\d{2})[ T](\d{1,2}:\d{2})\s+(?:to|-|–)\s+"
    r"(?:(\d{4}-\d{2}-\d{2})[ T])?(\d{1,2}:\d{2})\s*$"
)
RANGE_HELP = "write it as 2026-12-24 18:00 to 2026-12-27 09:00 (the team's time zone)"


def parse_range(text: str) -> tuple[datetime, datetime]:
    """A range of wall-clock times in the team's zone, as instants."""
    found = RANGE.match(text)
    if not found:
        raise ApiError(400, f"range: {RANGE_HELP}", {"range": RANGE_HELP})
    start_day, start_time, end_day, end_time = found.groups()
    zone = oncall.schedule_zone()
    try:
        start = datetime.fromisoformat(f"{start_day}T{start_time.zfill(5)}")
        end = datetime.fromisoformat(f"{end_day or start_day}T{end_time.zfill(5)}")
    except ValueError:
        raise ApiError(400, f"range: {RANGE_HELP}", {"range": "no such date or time"}) from None
    return weekly_schedule.from_wall_clock(start, zone), weekly_schedule.from_wall_clock(end, zone)


def linked_user(telegram_user_id: int) -> User:
    user = db.session.scalar(sa.select(User).where(User.telegram_user_id == telegram_user_id))
    if user is None or not user.active:
        raise ApiError(403, "only linked, active techs can ask or give cover: link with /link CODE")
    return user


def cover_dict(request: CoverRequest) -> dict[str, object]:
    return {
        "id": request.id,
        "status": request.status.value,
        "start": request.starts_at.isoformat(),
        "end": request.ends_at.isoformat(),
        "zone": oncall.schedule_zone().key,
        "requester": request.requester.display_name,
        "covered_by": request.covered_by.display_name if request.covered_by else None,
    }


@bp.post("/cover")
def cover_request():
    """A tech asks cover for a range (default: their next shift); the group post is queued."""
    fields = Fields(json_body())
    telegram_user_id = fields.integer("telegram_user_id")
    text = fields.string("range", max_length=100)
    fields.check()
    user = linked_user(telegram_user_id)
    start, end = parse_range(text) if text and text.strip() else (None, None)
    try:
        request = cover.request(user, clock.now(), start, end)
    except cover.CoverRefused as refused:
        raise ApiError(refused.status, str(refused)) from None
    database.commit()
    return jsonify({"cover": cover_dict(request)}), 201


@bp.post("/cover/<int:cover_id>/take")
def cover_take(cover_id: int):
    """A tech pressed I'll cover: the first gets the override, later ones hear who did."""
    request = get_or_404(CoverRequest, cover_id, "cover request")
    fields = Fields(json_body())
    telegram_user_id = fields.integer("telegram_user_id")
    fields.check()
    user = linked_user(telegram_user_id)
    try:
        cover.take(request, user, clock.now())
    except cover.CoverRefused as refused:
        raise ApiError(refused.status, str(refused)) from None
    database.commit()
    return jsonify({"cover": cover_dict(request)})
