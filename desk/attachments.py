"""Files users send in Telegram, attached to the ticket (or the reply) their message made.

The bot uploads each file after the message is filed; an upload is idempotent on the Telegram
message (one file a message), so a retry after a lost answer stores it once. A file over what
bots may download arrives without its bytes and is recorded by name and size.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from desk import file_store
from desk.extensions import db
from desk.tickets import find_message
from message_models import Attachment, AttachmentKind, AttachmentState
from models import Ticket

# A name for a file its sender gave none (photos, voice messages), by what it turned out to be.
EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
    "audio/ogg": ".ogg",
    "audio/mpeg": ".mp3",
    "video/mp4": ".mp4",
    "video/webm": ".webm",
    "application/zip": ".zip",
    "application/gzip": ".gz",
    "text/plain": ".txt",
    "application/x-7z-compressed": ".7z",
    "application/vnd.rar": ".rar",
    "application/x-tar": ".tar",
}


class AttachmentRefused(Exception):
    def __init__(self, status: int, field: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.field = field


def max_bytes() -> int:
    return int(current_app.config.get("ATTACHMENT_MAX_BYTES") or 20 * 1024 * 1024)


def attach(
    chat_id: int,
    message_id: int,
    kind: AttachmentKind,
    file_name: str | None,
    content: bytes | None,
    size: int | None,
    now: datetime,
) -> tuple[Attachment, bool] | None:
    """Attach a file to the ticket its message filed or joined: (the attachment, whether it
    is new); None when no ticket knows the message. `content` None: too big to download."""
    found = find_message(chat_id, message_id)
    if found is None:
        return None
    ticket, followup = found
    existing = _of_message(chat_id, message_id)
    if existing is not None:
        return existing, False
    if content is not None:
        if not content:
            raise AttachmentRefused(400, "file", "is empty (0 bytes): nothing to attach")
        if len(content) > max_bytes():
            raise AttachmentRefused(
                413, "file", f"is over the {max_bytes() // (1024 * 1024)} MB the desk accepts"
            )
        media_type = file_store.sniff(content)
        attachment = Attachment(
            state=AttachmentState.STORED,
            media_type=media_type,
            size=len(content),
            sha256=file_store.keep(content),
        )
    else:
        media_type = file_store.OCTET_STREAM
        attachment = Attachment(state=AttachmentState.TOO_BIG, media_type=media_type, size=size)
    fallback = kind.value + EXTENSIONS.get(media_type, "")
    attachment.file_name = file_store.safe_name(file_name, fallback)
    attachment.kind = kind
    attachment.ticket_id = ticket.id
    attachment.followup_id = followup.id if followup is not None else None
    attachment.chat_id, attachment.message_id = chat_id, message_id
    try:
        with db.session.begin_nested():
            db.session.add(attachment)
    except IntegrityError:
        return _of_message(chat_id, message_id), False  # the same upload raced in
    ticket.updated_at = now
    return attachment, True


def _of_message(chat_id: int, message_id: int) -> Attachment | None:
    return db.session.scalar(
        sa.select(Attachment).where(
            Attachment.chat_id == chat_id, Attachment.message_id == message_id
        )
    )


def of_ticket(ticket: Ticket) -> list[Attachment]:
    """The files users sent on the ticket (a tech's files belong to their answers)."""
    return list(
        db.session.scalars(
            sa.select(Attachment)
            .where(Attachment.ticket_id == ticket.id, Attachment.message_id.is_not(None))
            .order_by(Attachment.id)
        )
    )


def attach_to_answer(ticket: Ticket, file_name: str | None, content: bytes) -> Attachment:
    """Keep a file a tech attached to an answer (checked by the form already)."""
    media_type = file_store.sniff(content)
    attachment = Attachment(
        ticket_id=ticket.id,
        kind=AttachmentKind.PHOTO if media_type in file_store.IMAGES else AttachmentKind.DOCUMENT,
        state=AttachmentState.STORED,
        media_type=media_type,
        size=len(content),
        sha256=file_store.keep(content),
        file_name=file_store.safe_name(file_name, "file" + EXTENSIONS.get(media_type, "")),
    )
    db.session.add(attachment)
    return attachment


def refused_answer_file(name: str, content: bytes) -> str | None:
    """Why a file cannot go with an answer, for the form; None when it can."""
    shown = file_store.safe_name(name, "file")
    if not content:
        return f"{shown} is empty."
    if len(content) > max_bytes():
        return f"{shown} is over the {max_bytes() // (1024 * 1024)} MB limit."
    if file_store.sniff(content) not in file_store.ANSWER_TYPES:
        return f"{shown} is not an image, PDF, text or archive."
    return None


# What the file input offers (the server checks the bytes whatever the browser sends).
ACCEPT = (
    "image/jpeg,image/png,image/gif,image/webp,application/pdf,text/plain,.zip,.gz,.7z,.rar,.tar"
)
