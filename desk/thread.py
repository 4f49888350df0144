"""A ticket's thread: the user's messages, the team's answers and notes, pages and changes, in
time order.

One flat entry shape serves the template and the live JSON, so the page rendered by the server
and the entries added later by static/js/ticket.js look the same. `who` and `text` are what
users wrote, put in a <bdi> by both; a name inside `what`, a line of ours, is isolated with
FSI … PDI (user_text.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.orm import selectinload

from desk import attachments, clock, message_edits
from desk.extensions import db
from desk.web import duration, localtime, priority_label, status_label
from message_models import Attachment, AttachmentState
from models import (
    DeliveryState,
    EventKind,
    FollowUp,
    Notification,
    NotificationKind,
    SupportResponse,
    Ticket,
    TicketEvent,
    TicketNote,
)
from user_text import isolate, visible

STATE_LABELS = {
    DeliveryState.PENDING: "Pending",
    DeliveryState.SENDING: "Sending",
    DeliveryState.SENT: "Sent",
    DeliveryState.FAILED: "Failed",
}


@dataclass(frozen=True)
class Entry:
    key: str  # stable DOM id, so the live script can update an entry in place
    at: datetime
    kind: str  # user | team | note | edit | bot | event: how the entry is drawn
    who: str
    what: str
    text: str | None = None
    state: str | None = None
    state_label: str | None = None
    detail: str | None = None
    waited: str | None = None  # "pending for 40 s": how long a notification has waited
    retry_url: str | None = None
    files: tuple[dict[str, object], ...] = ()  # what the user sent with the message

    def to_dict(self) -> dict[str, object]:
        shown = {"who": visible(self.who), "text": visible(self.text) if self.text else self.text}
        files = [f | {"name": visible(str(f["name"]))} for f in self.files]
        return (
            asdict(self)
            | shown
            | {"at": localtime(self.at), "iso": self.at.isoformat(), "files": files}
        )


def file_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def file_entry(attachment: Attachment) -> dict[str, object]:
    stored = attachment.state == AttachmentState.STORED
    return {
        "id": attachment.id,
        "name": attachment.file_name,
        "kind": attachment.kind.value,
        "size": file_size(attachment.size),
        "image": attachment.is_image,
        "url": url_for("attachment_pages.show", attachment_id=attachment.id) if stored else None,
        # Over what bots may download: Telegram never let the bot have it.
        "missing": None if stored else "not attached: bots can download files up to 20 MB",
    }


def message_entries(ticket: Ticket) -> list[Entry]:
    """The user's request and replies as they read now, and what each said before an edit."""
    edits = message_edits.edits_of(ticket)
    files: dict[int | None, list[dict[str, object]]] = {}
    for attachment in attachments.of_ticket(ticket):
        files.setdefault(attachment.followup_id, []).append(file_entry(attachment))
    edited = {e.followup_id for e in edits}  # None: the request itself
    name = ticket.sender_name
    first = Entry(
        f"message-{ticket.id}",
        ticket.created_at,
        "user",
        name,
        "wrote (edited)" if None in edited else "wrote",
        ticket.text,
        files=tuple(files.get(None, ())),
    )
    entries = [first]
    followups = db.session.scalars(
        sa.select(FollowUp).where(FollowUp.ticket_id == ticket.id).order_by(FollowUp.id)
    )
    entries += [
        Entry(
            f"followup-{f.id}",
            f.created_at,
            "user",
            name,
            "replied (edited)" if f.id in edited else "replied",
            f.text,
            files=tuple(files.get(f.id, ())),
        )
        for f in followups
    ]
    entries += [
        Entry(
            f"edit-{e.id}",
            e.edited_at,
            "edit",
            name,
            f"edited {'a reply' if e.followup_id else 'the request'}; before, it read:",
            e.previous_text,
        )
        for e in edits
    ]
    return entries


def answer_entry(response: SupportResponse, attachment: Attachment | None = None) -> Entry:
    failed = response.delivery_state == DeliveryState.FAILED
    return Entry(
        key=f"answer-{response.id}",
        at=response.created_at,
        kind="team",
        who=response.author.display_name if response.author else "Team",
        what=(
            f"answered, part {response.part} of {response.parts}"
            if response.parts > 1
            else "answered"
        ),
        text=None if attachment is not None else response.text,
        files=(file_entry(attachment),) if attachment is not None else (),
        state=response.delivery_state.value,
        state_label=STATE_LABELS[response.delivery_state],
        detail=response.last_error if failed else None,
        retry_url=(
            url_for("ticket_pages.retry", ticket_id=response.ticket_id, response_id=response.id)
            if failed
            else None
        ),
    )


def note_entry(note: TicketNote) -> Entry:
    who = note.author.display_name if note.author else "Team"
    return Entry(
        f"note-{note.id}", note.created_at, "note", who, "noted, for the team only", note.text
    )


def notification_what(note: Notification) -> str:
    name = isolate(note.user.display_name) if note.user else "the team group"
    round_ = f", round {note.round + 1}" if note.round else ""
    what = {
        NotificationKind.PAGE: f"paged {name} (level {note.level}{round_})",
        NotificationKind.POST: "posted the ticket to the team group",
        NotificationKind.GROUP: f"escalated to the team group (level {note.level}{round_})",
        NotificationKind.REMINDER: f"reminded {name} to answer",
        NotificationKind.CONFIRMATION: "told the user the ticket number",
        NotificationKind.SLA_BREACH: "told the team group the first-answer target was missed",
    }.get(note.kind, f"sent a {note.kind} notification (level {note.level})")
    if note.repeat:
        what += ", sent again as a repeat (the first attempt's fate was unknown)"
    elif note.attempts > 1:
        what += f", attempt {note.attempts}"
    return what


WAITING = (DeliveryState.PENDING, DeliveryState.SENDING)


def notification_entry(note: Notification, now: datetime) -> Entry:
    waited = None
    if note.state in WAITING:
        waited = f"{note.state.value} for {duration(now - note.created_at)}"
    return Entry(
        key=f"notification-{note.id}",
        at=note.created_at,
        kind="bot",
        who="Bot",
        what=notification_what(note),
        state=note.state.value,
        state_label=STATE_LABELS[note.state],
        # A retry's last error is worth seeing while it waits, not only once it failed.
        detail=note.error if note.state != DeliveryState.SENT else None,
        waited=waited,
    )


def change(detail: str, label) -> str:
    """An event detail such as "open → in_progress", told as "from Open to In progress"."""
    before, _, after = detail.partition(" → ")
    try:
        return f"from {label(before)} to {label(after)}"
    except ValueError:
        return detail


def event_what(event: TicketEvent) -> str:
    if event.kind == EventKind.ACKNOWLEDGED:
        return "acknowledged the ticket"
    if event.kind == EventKind.ASSIGNED:
        if event.detail == "unassigned":
            return "unassigned the ticket"
        return f"assigned the ticket {isolate(event.detail)}"  # "to <name>"
    if event.kind == EventKind.STATUS:
        return f"changed the status {change(event.detail, status_label)}"
    if event.kind == EventKind.PRIORITY:
        return f"changed the priority {change(event.detail, priority_label)}"
    if event.kind == EventKind.RETRY:
        return "queued a failed answer again"
    words = event.kind.replace("_", " ")
    return f"{words}: {isolate(event.detail)}" if event.detail else words


def event_entry(event: TicketEvent) -> Entry:
    who = event.actor.display_name if event.actor else "System"
    return Entry(f"event-{event.id}", event.created_at, "event", who, event_what(event))


def build_thread(ticket: Ticket) -> list[Entry]:
    """Everything that happened to a ticket, oldest first (ties keep the order built here)."""
    now = clock.now()
    responses = db.session.scalars(
        sa.select(SupportResponse)
        .options(selectinload(SupportResponse.author))
        .where(SupportResponse.ticket_id == ticket.id)
        .order_by(SupportResponse.id)
    )
    notes = db.session.scalars(
        sa.select(Notification)
        .options(selectinload(Notification.user))
        .where(Notification.ticket_id == ticket.id)
        .order_by(Notification.id)
    )
    team_notes = db.session.scalars(
        sa.select(TicketNote)
        .options(selectinload(TicketNote.author))
        .where(TicketNote.ticket_id == ticket.id)
        .order_by(TicketNote.id)
    )
    team_files = {
        a.id: a
        for a in db.session.scalars(
            sa.select(Attachment).where(
                Attachment.ticket_id == ticket.id, Attachment.message_id.is_(None)
            )
        )
    }
    events = db.session.scalars(
        sa.select(TicketEvent)
        .options(selectinload(TicketEvent.actor))
        .where(TicketEvent.ticket_id == ticket.id)
        .order_by(TicketEvent.id)
    )
    entries = [
        *message_entries(ticket),
        *(answer_entry(r, team_files.get(r.attachment_id)) for r in responses),
        *(note_entry(n) for n in team_notes),
        *(notification_entry(n, now) for n in notes),
        *(event_entry(e) for e in events),
    ]
    return sorted(entries, key=lambda e: e.at)
