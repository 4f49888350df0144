"""The ticket list's query: filters, text search, newest first, and how to count it.

A search goes through the full-text index (desk/search_index.py) when the database has it and
the term is long enough, through LIKE otherwise. A search together with filters starts from
whichever list is shorter: the index's matches or the tickets that pass the filters.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask_login import current_user
from sqlalchemy.orm import aliased, selectinload
from sqlalchemy.sql.expression import UnaryExpression
from sqlalchemy.sql.operators import custom_op

from desk import search_index
from desk.extensions import db
from forms import ANY, TicketFilterForm
from models import Priority, Status, Ticket

NEWEST_FIRST = (Ticket.created_at.desc(), Ticket.id.desc())


def escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def ticket_number(term: str) -> int | None:
    """The ticket number in `42` or `#42`, if the term is one."""
    number = term.lstrip("#")
    # isascii: "²" and other Unicode digits pass isdigit() but not int().
    if number.isascii() and number.isdigit() and int(number) < 2**31:
        return int(number)
    return None


def like_clause(term: str) -> sa.ColumnElement[bool]:
    """Case-insensitive match on the text and the sender's names, or the ticket's number, the
    slow way: every ticket is read, and SQLite's LIKE folds the case of ASCII letters only."""
    pattern = f"%{escape_like(term)}%"
    name_pattern = f"%{escape_like(term.lstrip('@'))}%"
    clauses = [
        Ticket.text.ilike(pattern, escape="\\"),
        Ticket.sender_username.ilike(name_pattern, escape="\\"),
        Ticket.sender_first_name.ilike(pattern, escape="\\"),
        Ticket.sender_last_name.ilike(pattern, escape="\\"),
    ]
    number = ticket_number(term)
    if number is not None:
        clauses.append(Ticket.id == number)
    return sa.or_(*clauses)


def index_match(term: str) -> sa.ColumnElement[bool] | None:
    """The full-text index's condition for `term` (as like_clause, less the ticket number), or
    None when this database or this term cannot use the index."""
    username = term.lstrip("@")
    # Trigram finds nothing for a term shorter than three characters (it has no trigram to
    # look up), so those few searches go through LIKE.
    if min(len(term), len(username)) < search_index.MIN_TERM or not search_index.uses_fts():
        return None
    column = search_index.fts.c[search_index.TABLE]
    return column.op("MATCH")(search_index.match_query(term, username))


def matching_ids(match: sa.ColumnElement[bool], number: int | None) -> sa.Select:
    """Ids of the tickets the index matches, and of ticket `number` if there is one."""
    ids = sa.select(search_index.fts.c.rowid).where(match)
    if number is None:
        return ids
    numbered = aliased(Ticket, name="numbered")  # not the outer query's table
    return ids.union(sa.select(numbered.id).where(numbered.id == number))


def unindexed(column: sa.ColumnElement) -> sa.ColumnElement:
    """`+column`: the same value, but SQLite will not use an index for a comparison with it."""
    return UnaryExpression(column, operator=custom_op("+"), type_=column.type)


def ticket_filters(
    form: TicketFilterForm, column: Callable[[sa.ColumnElement], sa.ColumnElement] = lambda c: c
) -> list[sa.ColumnElement[bool]]:
    """The status, priority and assignee filters, each on `column(...)` of its column."""
    filters = []
    if form.status.data != ANY:
        filters.append(column(Ticket.status) == Status(form.status.data))
    if form.priority.data != ANY:
        filters.append(column(Ticket.priority) == Priority(form.priority.data))
    assignee = column(Ticket.assignee_id)
    if form.assignee.data == "me":
        filters.append(assignee == current_user.id)
    elif form.assignee.data == "none":
        filters.append(assignee.is_(None))
    elif form.assignee.data != ANY:
        filters.append(assignee == int(form.assignee.data))
    return filters


def count(query: sa.Select) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))


def passing(filters: list[sa.ColumnElement[bool]], up_to: int) -> bool:
    """True when fewer than `up_to` tickets pass `filters` (counting stops there)."""
    return count(sa.select(Ticket.id).where(*filters).limit(up_to)) < up_to


def ticket_query(form: TicketFilterForm) -> sa.Select:
    """Newest first. Each equality filter matches one of the (column, created_at) indexes; a
    search reads the full-text index's matches when it can."""
    query = sa.select(Ticket).options(selectinload(Ticket.assignee))
    filters = ticket_filters(form)
    term = (form.q.data or "").strip()
    match = index_match(term) if term else None
    if match is None:
        if term:
            filters.append(like_clause(term))
        return query.where(*filters).order_by(*NEWEST_FIRST)

    number = ticket_number(term)
    if filters and passing(filters, up_to=count(matching_ids(match, None))):
        # Fewer tickets pass the filters than match (open tickets mentioning "printer"): walk
        # them through the filters' index and look each up among the matches.
        ids = matching_ids(match, number)
        return query.where(*filters, Ticket.id.in_(ids)).order_by(*NEWEST_FIRST)

    # Start from the index's matches and read those tickets by id. Left to itself SQLite
    # (which keeps no statistics here) would walk a whole filter index, such as (status,
    # created_at), and run the search for every ticket: minutes. So the filters keep off their
    # indexes. Newest first by id, which follows filing order, so no sort is needed.
    query = query.where(*ticket_filters(form, unindexed))
    if number is None:
        # The index hands out its matches in rowid order: a page stops after its 25.
        fts = search_index.fts
        query = query.join(fts, fts.c.rowid == Ticket.id).where(match)
        return query.order_by(fts.c.rowid.desc())
    ids = matching_ids(match, number)
    return query.where(Ticket.id.in_(ids)).order_by(Ticket.id.desc())


def quick_count(form: TicketFilterForm) -> sa.Select | None:
    """The number of tickets a search finds, counted in the index alone, when the search is
    the list's only filter (every match is a ticket); None when db.paginate must count.

    db.paginate's count would read every matching ticket: 8,333 of 100,000 for "printer",
    15 ms instead of 3.
    """
    term = (form.q.data or "").strip()
    match = index_match(term) if term else None
    if match is None or ticket_filters(form):
        return None
    ids = matching_ids(match, ticket_number(term)).subquery()
    return sa.select(sa.func.count()).select_from(ids)
