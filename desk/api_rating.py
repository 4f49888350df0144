"""The JSON API of satisfaction ratings: a score pressed under "How did we do?".

Routes of the `api` blueprint (bearer token, JSON errors), kept apart like desk/api_cover.py.
"""

from __future__ import annotations

from flask import jsonify

from desk import clock, database, satisfaction
from desk.api import bp, get_ticket, json_body
from desk.errors import ApiError
from desk.validation import Fields


@bp.post("/tickets/<int:ticket_id>/rating")
def rate_ticket(ticket_id: int):
    """The ticket's sender pressed a score; the first press wins, a later one is told so."""
    ticket = get_ticket(ticket_id)
    fields = Fields(json_body())
    score = fields.integer(
        "score", minimum=satisfaction.SCALE.start, maximum=satisfaction.SCALE.stop - 1
    )
    telegram_user_id = fields.integer("telegram_user_id")
    fields.check()
    try:
        rated = satisfaction.rate(ticket, telegram_user_id, score, clock.now())
    except satisfaction.RatingRefused as refused:
        raise ApiError(refused.status, str(refused)) from None
    database.commit()
    body = {"rating": satisfaction.rating_dict(rated.ticket), "already_rated": rated.already}
    return jsonify(body)
