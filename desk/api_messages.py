"""The JSON API of what users do to their messages after sending them: edits.

Routes of the `api` blueprint (bearer token, JSON errors), kept apart like desk/api_cover.py.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import jsonify

from desk import clock, database, escalation_steps, message_edits
from desk.api import bp, json_body
from desk.errors import ApiError
from desk.validation import Fields

# Telegram's dates are Unix seconds; anything past 2100 is not a date Telegram sent.
LAST_DATE = 4_102_444_800


@bp.post("/message/edit")
def edit_message():
    """A user edited a message of theirs: the request of a ticket or a reply in its thread.

    404 when no ticket knows the message (the bot may then file it, if the edit added the
    tag). The answer carries the pages already sent, which quote the old text.
    """
    fields = Fields(json_body())
    chat_id = fields.integer("chat_id")
    message_id = fields.integer("message_id")
    text = fields.text()
    edit_date = fields.integer("edit_date", minimum=0, maximum=LAST_DATE)
    fields.check()
    edited_at = datetime.fromtimestamp(edit_date, UTC)
    result = message_edits.apply_edit(chat_id, message_id, text, edited_at, clock.now())
    if result is None:
        raise ApiError(404, "no ticket for that message")
    database.commit()
    ticket = result.ticket
    pages = []
    if result.changed and not result.followup:
        pages = [n.to_dict() for n in escalation_steps.sent_notifications(ticket)]
    body = {"ticket": ticket.to_dict(), "changed": result.changed, "followup": result.followup}
    return jsonify(body | {"notifications": pages})
