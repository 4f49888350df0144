"""Saved replies: answers admins keep for the team to start from, with placeholders.

`{first_name}`, `{last_name}`, `{username}` (the ticket's sender), `{ticket}` (its number) and
`{tech}` (who answers) are filled in for the ticket at hand when the page offers a reply; a
placeholder this list does not know is refused when the reply is saved, so none reaches a user
as typed.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from desk.extensions import db
from message_models import PLACEHOLDERS, SavedReply
from models import Ticket, User

PLACEHOLDER = re.compile(r"\{(\w*)\}")


def all_replies() -> list[SavedReply]:
    return list(db.session.scalars(sa.select(SavedReply).order_by(sa.func.lower(SavedReply.title))))


def fill(body: str, ticket: Ticket, tech: User) -> str:
    values = {
        "first_name": ticket.sender_first_name or "",
        "last_name": ticket.sender_last_name or "",
        "username": f"@{ticket.sender_username}" if ticket.sender_username else "",
        "ticket": f"#{ticket.number}",
        "tech": tech.display_name,
    }
    assert set(values) == set(PLACEHOLDERS)
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), body)


def offered(ticket: Ticket, tech: User) -> list[dict[str, object]]:
    """Every saved reply, filled in for this ticket and tech, for the answer box's picker."""
    return [
        {"id": r.id, "title": r.title, "body": fill(r.body, ticket, tech)} for r in all_replies()
    ]


def title_taken(title: str, reply: SavedReply | None) -> bool:
    query = sa.select(SavedReply.id).where(sa.func.lower(SavedReply.title) == title.lower())
    if reply is not None:
        query = query.where(SavedReply.id != reply.id)
    return db.session.scalar(query) is not None


def save(reply: SavedReply | None, title: str, body: str, author: User) -> SavedReply:
    if reply is None:
        reply = SavedReply(created_by_id=author.id)
        db.session.add(reply)
    reply.title, reply.body = title, body
    return reply
