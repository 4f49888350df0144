"""What there is to a message beyond its text: files on tickets, what users send in Telegram
(photos, documents, voice ...) and what techs attach to their answers (sent to the user by the
answer's own delivery); the earlier texts of messages users edited; and the saved replies
techs start answers from.

The bytes live on disk, content-addressed by their SHA-256 (desk/file_store.py); a row says
which ticket or reply a file belongs to, what it is and how it may be shown. A file too big
for a bot to download is recorded by name and size, with nothing stored.

Kept beside `models.py` like schedule_models.py; `models.py` imports nothing from here.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from model_types import UTCDateTime, enum_column, enum_type, utcnow
from models import db, iso


class AttachmentKind(enum.StrEnum):
    """What Telegram called the file: it decides the icon and the name one is given."""

    PHOTO = "photo"
    DOCUMENT = "document"
    VOICE = "voice"
    AUDIO = "audio"
    VIDEO = "video"
    VIDEO_NOTE = "video_note"
    STICKER = "sticker"


class AttachmentState(enum.StrEnum):
    STORED = "stored"
    TOO_BIG = "too_big"  # over what bots may download: its name and size only


class Attachment(db.Model):
    __tablename__ = "attachments"
    __table_args__ = (
        # One file per Telegram message: the bot's retry of an upload stores it once.
        sa.UniqueConstraint("chat_id", "message_id", name="uq_attachment_telegram_message"),
        sa.Index("ix_attachment_ticket", "ticket_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("support_messages.id"))
    followup_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ticket_followups.id"))
    # The Telegram message a user's file came with; None for a tech's file on an answer.
    chat_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    message_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    kind: Mapped[AttachmentKind] = mapped_column(enum_type(AttachmentKind))
    state: Mapped[AttachmentState] = enum_column(AttachmentState, AttachmentState.STORED)
    file_name: Mapped[str] = mapped_column(sa.String(255))  # made safe, never a path
    # What the content was found to be (its first bytes), not what the sender said it was.
    media_type: Mapped[str] = mapped_column(sa.String(127), default="application/octet-stream")
    size: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def from_user(self) -> bool:
        return self.message_id is not None

    @property
    def is_image(self) -> bool:
        return self.state == AttachmentState.STORED and self.media_type.startswith("image/")

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "ticket_id": self.ticket_id,
            "kind": self.kind.value,
            "state": self.state.value,
            "file_name": self.file_name,
            "media_type": self.media_type,
            "size": self.size,
            "created_at": iso(self.created_at),
        }


class MessageEdit(db.Model):
    """The text a user's message had before they edited it in Telegram: the ticket (or the
    follow-up) shows the edited text, the thread keeps every earlier one."""

    __tablename__ = "message_edits"
    __table_args__ = (
        # Telegram's edit_date: the same edit posted twice (a retry, a replay) is kept once.
        sa.UniqueConstraint("chat_id", "message_id", "edited_at", name="uq_message_edit"),
        sa.Index("ix_message_edit_ticket", "ticket_id", "edited_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("support_messages.id"))
    followup_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ticket_followups.id"))
    chat_id: Mapped[int] = mapped_column(sa.BigInteger)
    message_id: Mapped[int] = mapped_column(sa.BigInteger)
    previous_text: Mapped[str] = mapped_column(sa.Text)
    edited_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when the user edited it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# What a saved reply may say for the ticket at hand (desk/saved_replies.py fills them in).
PLACEHOLDERS = ("first_name", "last_name", "username", "ticket", "tech")


class SavedReply(db.Model):
    """An answer admins keep for techs to insert and adapt (title unique, any case)."""

    __tablename__ = "saved_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(120), unique=True)
    body: Mapped[str] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
