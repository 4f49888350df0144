"""The dashboard's data model: SQLAlchemy 2.0 typed models.

Every timestamp is stored in UTC and comes back timezone-aware, whatever the backend
(SQLite forgets zones, so `UTCDateTime` in model_types.py re-attaches UTC on the way out).
"""

from __future__ import annotations

import enum
from datetime import datetime, time

import bcrypt
import sqlalchemy as sa
from flask_login import UserMixin
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from escalation import TicketStatus
from model_types import UTCDateTime, enum_column, enum_type, utcnow


class Base(DeclarativeBase):
    pass


# The models own the database object, so they import nothing from desk/: the packages above
# use the models, never the other way round. desk/extensions.py binds it in the factory.
db = SQLAlchemy(model_class=Base)

MAX_TEXT = 4096  # Telegram's limit for one message
ANSWER_PART = MAX_TEXT - 200  # one message of an answer, with room for the bot's header
BCRYPT_ROUNDS = 12  # the test suite lowers this; bcrypt is meant to be slow


def bcrypt_input(password: str) -> bytes:
    """bcrypt reads 72 bytes; bcrypt 5 refuses longer input instead of cutting it, so cut it
    here, as earlier bcrypt releases did (their hashes keep matching)."""
    return password.encode()[:72]


# One enum for the pure rules and the database: escalation.py decides on the same statuses.
Status = TicketStatus


class Priority(enum.StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class DeliveryState(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a bot; outcome not yet reported
    SENT = "sent"
    FAILED = "failed"


class EventKind(enum.StrEnum):
    """What a line of a ticket's history records."""

    ACKNOWLEDGED = "acknowledged"
    ASSIGNED = "assigned"
    STATUS = "status"
    PRIORITY = "priority"
    RETRY = "retry"


class NotificationKind(enum.StrEnum):
    """What a message of the outbox is; every kind but answers lives in `notifications`."""

    PAGE = "page"  # a person of the on-call chain
    POST = "post"  # the team group hears of every new ticket
    GROUP = "group"  # the team group as an escalation step
    REMINDER = "reminder"  # the owner or acknowledger of an unanswered ticket
    CONFIRMATION = "confirmation"  # the user learns the ticket number
    # About a shift, not a ticket (ticket_id is empty, notice_id names the ShiftNotice):
    SHIFT_REMINDER = "shift_reminder"  # a tech's shift starts soon
    SHIFT_CHANGE = "shift_change"  # a tech's shifts of the next days changed
    COVER_REQUEST = "cover_request"  # the team group: who covers this tech? (a button)
    # About a ticket again:
    SLA_BREACH = "sla_breach"  # the team group: a ticket missed its first-answer target
    SATISFACTION = "satisfaction"  # the user, after the resolve: "How did we do?" (buttons)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(120), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(128))
    is_admin: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    telegram_user_id: Mapped[int | None] = mapped_column(sa.BigInteger, unique=True)
    telegram_username: Mapped[str | None] = mapped_column(sa.String(64))
    link_code: Mapped[str | None] = mapped_column(sa.String(32), unique=True)
    link_code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Two-factor login (desk/two_factor.py): the TOTP secret is kept from the start of the
    # setup; the login asks for codes only once a first code confirmed it (enabled_at).
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)  # no code is used twice
    # Minutes before a shift the bot reminds them (None: no reminders).
    reminder_minutes: Mapped[int | None] = mapped_column(sa.SmallInteger, default=15)
    # The secret of their calendar feed URL; only its SHA-256 is kept (shown once, as tokens are).
    calendar_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True, index=True)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses sessions of inactive users
        return self.active

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    @property
    def two_factor(self) -> bool:
        return self.totp_enabled_at is not None

    @property
    def telegram_linked(self) -> bool:
        return self.telegram_user_id is not None

    def set_password(self, password: str) -> None:
        self.password_hash = bcrypt.hashpw(
            bcrypt_input(password), bcrypt.gensalt(BCRYPT_ROUNDS)
        ).decode()

    def check_password(self, password: str) -> bool:
        return bcrypt.checkpw(bcrypt_input(password), self.password_hash.encode())

    # The token of the browser session this object was loaded for (desk/sessions.py); set
    # before login_user, read back by Flask-Login for the session and remember-me cookies.
    session_token = None

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and the remember-me cookie: the user's id and
        the token of a server-side session, so ending that row ends the cookie everywhere."""
        # Without a started session the cookie names no token, and opens nothing.
        return f"{self.id}:{self.session_token or ''}"

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "username": self.username,
            "name": self.display_name,
            "is_admin": self.is_admin,
            "active": self.active,
            "telegram_user_id": self.telegram_user_id,
            "telegram_username": self.telegram_username,
        }


class Ticket(TimestampMixin, db.Model):
    """A ticket: one `@support` request from a Telegram user and everything done about it."""

    __tablename__ = "support_messages"
    __table_args__ = (
        # Idempotency of intake: one Telegram message files one ticket, however often it is posted.
        sa.UniqueConstraint("chat_id", "message_id", name="uq_ticket_telegram_message"),
        sa.Index("ix_ticket_status_created", "status", "created_at"),
        sa.Index("ix_ticket_priority_created", "priority", "created_at"),
        # The list filtered by status and priority at once (e.g. open + urgent).
        sa.Index("ix_ticket_status_priority_created", "status", "priority", "created_at"),
        sa.Index("ix_ticket_assignee_created", "assignee_id", "created_at"),
        sa.Index("ix_ticket_created", "created_at"),
        # The escalation poller's only query: unresolved tickets whose next step is due.
        sa.Index("ix_ticket_next_escalation", "next_escalation_at"),
        sa.Index("ix_ticket_confirmation", "chat_id", "confirmation_message_id"),
        # The reports: tickets resolved, and asked for a rating, on a given day.
        sa.Index("ix_ticket_resolved", "resolved_at"),
        sa.Index("ix_ticket_rating_asked", "rating_asked_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(sa.BigInteger)
    chat_type: Mapped[str] = mapped_column(sa.String(16), default="private")
    chat_title: Mapped[str | None] = mapped_column(sa.String(255))
    message_id: Mapped[int] = mapped_column(sa.BigInteger)
    sender_id: Mapped[int] = mapped_column(sa.BigInteger)
    sender_username: Mapped[str | None] = mapped_column(sa.String(64))
    sender_first_name: Mapped[str] = mapped_column(sa.String(128), default="")
    sender_last_name: Mapped[str | None] = mapped_column(sa.String(128))
    text: Mapped[str] = mapped_column(sa.Text)
    # The sender's Telegram language_code: what the bot tells them follows it (botkit/i18n.py).
    language_code: Mapped[str | None] = mapped_column(sa.String(16))
    status: Mapped[Status] = enum_column(Status, Status.OPEN)
    priority: Mapped[Priority] = enum_column(Priority, Priority.NORMAL)
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    acknowledged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalation_level: Mapped[int] = mapped_column(default=0, server_default="0")
    last_escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_escalation_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The pass through the on-call chain the last step belonged to (0 = the first).
    escalation_round: Mapped[int] = mapped_column(default=0, server_default="0")
    confirmation_message_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    # When the team group was told this ticket missed its first-answer target (once).
    breach_noticed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Satisfaction: asked once per ticket (set by a conditional UPDATE), rated 1-5 once.
    rating_asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rating: Mapped[int | None] = mapped_column(sa.SmallInteger)
    rating_comment: Mapped[str | None] = mapped_column(sa.Text)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    acknowledged_by: Mapped[User | None] = relationship(foreign_keys=[acknowledged_by_id])
    responses: Mapped[list[SupportResponse]] = relationship(
        back_populates="ticket", order_by="SupportResponse.id"
    )

    @property
    def number(self) -> int:
        """The ticket number users and techs quote: the id, shown as #42."""
        return self.id

    @property
    def sender_name(self) -> str:
        return " ".join(p for p in (self.sender_first_name, self.sender_last_name) if p) or (
            f"@{self.sender_username}" if self.sender_username else str(self.sender_id)
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "number": self.number,
            "status": self.status.value,
            "priority": self.priority.value,
            "chat_id": self.chat_id,
            "chat_type": self.chat_type,
            "message_id": self.message_id,
            "user_id": self.sender_id,
            "username": self.sender_username,
            "first_name": self.sender_first_name,
            "last_name": self.sender_last_name,
            "sender_name": self.sender_name,
            "text": self.text,
            "language_code": self.language_code,
            "assignee": self.assignee.to_dict() if self.assignee else None,
            "acknowledged_by": self.acknowledged_by.to_dict() if self.acknowledged_by else None,
            "acknowledged_at": iso(self.acknowledged_at),
            "answered_at": iso(self.answered_at),
            "resolved_at": iso(self.resolved_at),
            "escalation_level": self.escalation_level,
            "next_escalation_at": iso(self.next_escalation_at),
            "confirmation_message_id": self.confirmation_message_id,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
        }


class FollowUp(db.Model):
    """A later message of the user, sent as a Telegram reply to the bot about a ticket."""

    __tablename__ = "ticket_followups"
    __table_args__ = (
        sa.UniqueConstraint("chat_id", "message_id", name="uq_followup_telegram_message"),
        sa.Index("ix_followup_ticket", "ticket_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("support_messages.id"))
    chat_id: Mapped[int] = mapped_column(sa.BigInteger)
    message_id: Mapped[int] = mapped_column(sa.BigInteger)
    text: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SupportResponse(TimestampMixin, db.Model):
    """An answer written in the dashboard, delivered to the user's chat by the bot."""

    __tablename__ = "support_responses"
    __table_args__ = (
        sa.Index("ix_response_ticket", "ticket_id", "created_at"),
        sa.Index("ix_response_state", "delivery_state", "id"),
        sa.Index("ix_response_telegram", "telegram_message_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("support_messages.id"))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(sa.Text)
    delivery_state: Mapped[DeliveryState] = enum_column(DeliveryState, DeliveryState.PENDING)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    telegram_message_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # An answer too long for one Telegram message is sent in numbered parts, a row each, so
    # each part's delivery is tracked; the later parts name the first, and wait for the part
    # before them.
    part: Mapped[int] = mapped_column(sa.SmallInteger, default=1, server_default="1")
    parts: Mapped[int] = mapped_column(sa.SmallInteger, default=1, server_default="1")
    first_part_id: Mapped[int | None] = mapped_column(sa.ForeignKey("support_responses.id"))
    # A part that is a file the tech attached (message_models.py): sent as a photo or a
    # document, its text the file's name.
    attachment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("attachments.id"))

    ticket: Mapped[Ticket] = relationship(back_populates="responses")
    author: Mapped[User | None] = relationship()

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "ticket_id": self.ticket_id,
            "author": self.author.display_name if self.author else None,
            "text": self.text,
            "delivery_state": self.delivery_state.value,
            "attempts": self.attempts,
            "last_error": self.last_error,
            "telegram_message_id": self.telegram_message_id,
            "sent_at": iso(self.sent_at),
            "created_at": iso(self.created_at),
            "part": self.part,
            "parts": self.parts,
        }


class TicketNote(TimestampMixin, db.Model):
    """An internal note on a ticket, for the team: never delivered to the user.

    A table of its own rather than a kind of answer, so no query of the bot's (the answers it
    delivers, the outbox) can ever come across one.
    """

    __tablename__ = "ticket_notes"
    __table_args__ = (sa.Index("ix_note_ticket", "ticket_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("support_messages.id"))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(sa.Text)

    author: Mapped[User | None] = relationship()


class ScheduleSlot(TimestampMixin, db.Model):
    """A weekly on-call slot, in wall-clock time of the configured TIMEZONE."""

    __tablename__ = "schedule_slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    weekday: Mapped[int] = mapped_column(sa.SmallInteger)  # 0 = Monday, the day the slot starts
    start_time: Mapped[time] = mapped_column(sa.Time)
    end_time: Mapped[time] = mapped_column(sa.Time)  # <= start_time: runs past midnight
    # The primary is a person or a rotation ("whoever's turn it is then"): one of the two.
    primary_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    primary_rotation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rotations.id"))

    primary: Mapped[User | None] = relationship()
    # Named, not annotated: the Rotation model lives in schedule_models.py, a layer above.
    primary_rotation = relationship("Rotation")
    backups: Mapped[list[ScheduleBackup]] = relationship(
        order_by="ScheduleBackup.position", cascade="all, delete-orphan"
    )

    @property
    def backup_users(self) -> list[User]:
        return [b.user for b in self.backups]


class ScheduleBackup(db.Model):
    """One backup of a slot; `position` 0 is the first backup."""

    __tablename__ = "schedule_backups"
    __table_args__ = (sa.UniqueConstraint("slot_id", "position", name="uq_backup_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(sa.ForeignKey("schedule_slots.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))  # or a rotation
    rotation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rotations.id"))
    position: Mapped[int] = mapped_column(sa.SmallInteger)

    user: Mapped[User | None] = relationship()
    rotation = relationship("Rotation")


class Notification(db.Model):
    """One message of the outbox about a ticket: a page to a tech (user_id), a post to the team
    group, a reminder or the user's confirmation (chat_id says where it goes).

    `claimed_at` is the start of a bot's lease while `sending`, and "not before" while
    `pending` (a retry's backoff). `repeat` marks a message sent again after the fate of an
    earlier attempt became unknown, so the text can say it may arrive twice.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index("ix_notification_ticket", "ticket_id", "created_at"),
        sa.Index("ix_notification_state", "state", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(sa.ForeignKey("support_messages.id"))
    # A shift reminder or change (schedule_models.ShiftNotice) instead of a ticket.
    notice_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("shift_notices.id", ondelete="CASCADE")
    )
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    chat_id: Mapped[int] = mapped_column(sa.BigInteger)
    level: Mapped[int] = mapped_column(default=0)
    kind: Mapped[NotificationKind] = mapped_column(enum_type(NotificationKind))
    round: Mapped[int] = mapped_column(default=0, server_default="0")
    state: Mapped[DeliveryState] = enum_column(DeliveryState, DeliveryState.PENDING)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(sa.String(64))  # the bot's instance id
    repeat: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    telegram_message_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    # Sent as one line of a digest (botkit/group_posts.py): the message lists other tickets
    # too, so a press on one of them never rewrites it into that ticket's post.
    digest: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship()

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "ticket_id": self.ticket_id,
            "notice_id": self.notice_id,
            "user": self.user.to_dict() if self.user else None,
            "chat_id": self.chat_id,
            "level": self.level,
            "kind": self.kind,
            "round": self.round,
            "state": self.state.value,
            "attempts": self.attempts,
            "repeat": self.repeat,
            "telegram_message_id": self.telegram_message_id,
            "digest": self.digest,
            "error": self.error,
            "created_at": iso(self.created_at),
            "sent_at": iso(self.sent_at),
        }


class TicketEvent(db.Model):
    """The audit trail of a ticket: status, priority and assignment changes, with who and when."""

    __tablename__ = "ticket_events"
    __table_args__ = (
        sa.Index("ix_event_ticket", "ticket_id", "created_at"),
        # The reports: the status changes of a day, whichever tickets they were of.
        sa.Index("ix_event_kind_created", "kind", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("support_messages.id"))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[EventKind] = mapped_column(enum_type(EventKind, length=32))
    detail: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship()


class LoginSession(db.Model):
    """One signed-in browser: ended by logout, a new password, deactivation or "sign out the
    others". The cookie carries a random token; only its SHA-256 is stored."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    address: Mapped[str | None] = mapped_column(sa.String(64))
    user_agent: Mapped[str] = mapped_column(sa.String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RecoveryCode(db.Model):
    """A one-time code that replaces the two-factor code once (a lost phone). Codes are long
    random strings, so a plain SHA-256 is stored, as for session tokens."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditAction(enum.StrEnum):
    """What the audit log records: changes to people, rights, schedules, settings and logins."""

    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    SESSIONS_ENDED = "sessions_ended"
    THROTTLE_CLEARED = "throttle_cleared"
    USER_CREATED = "user_created"
    USER_RENAMED = "user_renamed"
    USER_DELETED = "user_deleted"
    USER_DEACTIVATED = "user_deactivated"
    USER_ACTIVATED = "user_activated"
    ADMIN_GRANTED = "admin_granted"
    ADMIN_REVOKED = "admin_revoked"
    PASSWORD_CHANGED = "password_changed"
    PASSWORD_RESET = "password_reset"
    LINK_CODE_ISSUED = "link_code_issued"
    TELEGRAM_LINKED = "telegram_linked"
    TELEGRAM_UNLINKED = "telegram_unlinked"
    SLOT_SAVED = "slot_saved"
    SLOT_DELETED = "slot_deleted"
    ROTATION_CREATED = "rotation_created"
    ROTATION_MEMBERS_CHANGED = "rotation_members_changed"
    ROTATION_DELETED = "rotation_deleted"
    OVERRIDE_CREATED = "override_created"
    OVERRIDE_DELETED = "override_deleted"
    COVER_CANCELLED = "cover_cancelled"
    SETTING_CHANGED = "setting_changed"
    SAVED_REPLY_SAVED = "saved_reply_saved"
    SAVED_REPLY_DELETED = "saved_reply_deleted"
    TWO_FACTOR_ENABLED = "two_factor_enabled"
    TWO_FACTOR_DISABLED = "two_factor_disabled"
    TWO_FACTOR_RESET = "two_factor_reset"
    RECOVERY_CODES_ISSUED = "recovery_codes_issued"
    RECOVERY_CODE_USED = "recovery_code_used"


class AuditEvent(db.Model):
    """One line of the audit log. The actor's name is copied, so it outlives the account."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    actor_name: Mapped[str] = mapped_column(sa.String(64), default="")
    action: Mapped[AuditAction] = mapped_column(enum_type(AuditAction, length=32), index=True)
    target: Mapped[str] = mapped_column(sa.String(255), default="")
    detail: Mapped[str] = mapped_column(sa.Text, default="")
    address: Mapped[str | None] = mapped_column(sa.String(64))


class ThrottleScope(enum.StrEnum):
    """What a login throttle counts failures of."""

    USERNAME = "username"  # the name typed, case-folded, whether or not an account has it
    ADDRESS = "address"  # the client's IP address


class LoginThrottle(db.Model):
    """Failed logins of one username or one client address, shared by every worker.

    Kept for any name typed, real or not, so neither the answer nor its timing tells which
    names exist; a row is forgotten after a quiet period (desk/logins.py).
    """

    __tablename__ = "login_throttles"

    scope: Mapped[ThrottleScope] = mapped_column(enum_type(ThrottleScope), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SystemConfig(db.Model):
    """Run-time settings an admin can change in the dashboard (key/value)."""

    __tablename__ = "system_config"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
