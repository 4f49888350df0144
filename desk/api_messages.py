"""The JSON API of users' messages beyond their text: edits, and the files they send.

Routes of the `api` blueprint (bearer token, JSON errors), kept apart like desk/api_cover.py.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import jsonify, request, send_file

from desk import attachments, clock, database, escalation_steps, file_store, message_edits
from desk.api import bp, json_body
from desk.errors import ApiError
from desk.extensions import db
from desk.validation import Fields, InvalidRequest
from message_models import Attachment, AttachmentKind

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


# The form fields an upload carries beside the file: room for them over the file's own limit.
FORM_ROOM = 64 * 1024


def form_fields() -> Fields:
    """The upload's form fields for the API's checks: numbers as numbers, the rest as sent."""
    values: dict[str, object] = {}
    for name, value in request.form.items():
        values[name] = int(value) if value.lstrip("-").isdigit() and len(value) < 20 else value
    if "too_big" in values:
        values["too_big"] = values["too_big"] in ("true", "1")
    return Fields(values)


@bp.post("/attachments")
def upload_attachment():
    """A file a user sent, as multipart/form-data: `file`, and `chat_id`, `message_id` (the
    Telegram message it came in), `kind`, `file_name`. Without `file`, `too_big=true` and
    `size` record a file over what bots may download. 404 when no ticket knows the message;
    a second upload of the same message answers the first's attachment."""
    request.max_content_length = attachments.max_bytes() + FORM_ROOM
    if not request.mimetype == "multipart/form-data":
        raise InvalidRequest("an upload must be multipart/form-data")
    fields = form_fields()
    chat_id = fields.integer("chat_id")
    message_id = fields.integer("message_id")
    kind = fields.choice("kind", tuple(AttachmentKind))
    file_name = fields.string("file_name", max_length=1024)
    upload = request.files.get("file")
    size = None
    if upload is None:
        if not fields.boolean("too_big", required=False):
            fields.errors["file"] = "is required (or too_big=true with the size)"
        size = fields.integer("size", minimum=0)
    fields.check()
    content = upload.read() if upload is not None else None
    try:
        result = attachments.attach(
            chat_id, message_id, AttachmentKind(kind), file_name, content, size, clock.now()
        )
    except attachments.AttachmentRefused as refused:
        raise ApiError(
            refused.status, f"{refused.field} {refused}", {refused.field: str(refused)}
        ) from None
    if result is None:
        raise ApiError(404, "no ticket for that message")
    attachment, created = result
    database.commit()
    return jsonify(
        {"attachment": attachment.to_dict(), "created": created}
    ), 201 if created else 200


@bp.get("/attachments/<int:attachment_id>/content")
def attachment_content(attachment_id: int):
    """A stored file's bytes, for the bot to send a tech's file on to the user."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.sha256 is None:
        raise ApiError(404, f"attachment {attachment_id} not found")
    path = file_store.path_of(attachment.sha256)
    if not path.is_file():
        raise ApiError(404, f"the file of attachment {attachment_id} is missing")
    return send_file(path, mimetype="application/octet-stream", max_age=0)
