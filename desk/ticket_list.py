"""The ticket list's query: filters, text search, its order, its tabs' counts and its rows.

A search matches every word of it, in any order, each in the text or the sender's names (or
the ticket's number). It goes through the full-text index (desk/search_index.py) when the
database has it and every word is long enough, through LIKE otherwise. A search together with
filters starts from whichever list is shorter: the index's matches or the tickets that pass
the filters. The team's internal notes are searched too: a ticket matches when its own text
and names hold every word, or when one of its notes does. The orders are desk/queue_order.py's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app, g, url_for
from flask_login import current_user
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import aliased, selectinload
from sqlalchemy.sql.expression import UnaryExpression
from sqlalchemy.sql.operators import custom_op

from desk import queue_order, search_index, sla
from desk.extensions import db
from desk.validation import page_number
from desk.web import local_zone, localtime, priority_label, status_label
from forms import ANY, UNRESOLVED, TicketFilterForm, TicketSort
from models import Priority, Status, Ticket, TicketNote
from user_text import visible

NEWEST_FIRST = (Ticket.created_at.desc(), Ticket.id.desc())
UNRESOLVED_STATUSES = tuple(s for s in Status if s != Status.RESOLVED)
ROW_TEXT = 120  # characters of a ticket's text in its row


def escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def ticket_number(term: str) -> int | None:
    """The ticket number in `42` or `#42`, if the term is one."""
    number = term.lstrip("#")
    # isascii: "²" and other Unicode digits pass isdigit() but not int().
    if number.isascii() and number.isdigit() and int(number) < 2**31:
        return int(number)
    return None


def like_clause(term: str, tickets=Ticket) -> sa.ColumnElement[bool]:
    """Case-insensitive match on the text and the sender's names, or the ticket's number, the
    slow way: every ticket is read, and SQLite's LIKE folds the case of ASCII letters only."""
    pattern = f"%{escape_like(term)}%"
    name_pattern = f"%{escape_like(term.lstrip('@'))}%"
    clauses = [
        tickets.text.ilike(pattern, escape="\\"),
        tickets.sender_username.ilike(name_pattern, escape="\\"),
        tickets.sender_first_name.ilike(pattern, escape="\\"),
        tickets.sender_last_name.ilike(pattern, escape="\\"),
    ]
    number = ticket_number(term)
    if number is not None:
        clauses.append(tickets.id == number)
    return sa.or_(*clauses)


def words_of(form: TicketFilterForm) -> list[str]:
    return (form.q.data or "").split()


def single_number(words: list[str]) -> int | None:
    """The ticket number a one-word search may name (`42`, `#42`)."""
    return ticket_number(words[0]) if len(words) == 1 else None


def like_words(words: list[str]) -> sa.ColumnElement[bool]:
    """Every word matches (like_clause) in any order, or a note of the ticket has them all.

    The notes join as a second list of ids (a UNION), not an OR beside the LIKEs: PostgreSQL
    keeps its trigram indexes for the LIKEs only while they stand alone in their query.
    """
    own = sa.and_(*(like_clause(word) for word in words))
    if not any_noted(words):
        return own
    matched = aliased(Ticket, name="matched")  # not the outer query's table
    matching = sa.select(matched.id).where(*(like_clause(word, matched) for word in words))
    return Ticket.id.in_(sa.union(matching, noted_ids(words)))


def noted_ids(words: list[str]) -> sa.Select:
    """Ids of the tickets with a note holding every word. Notes are few (the team writes them,
    not the users), so LIKE over them stays cheap without an index of their own."""
    likes = (TicketNote.text.ilike(f"%{escape_like(word)}%", escape="\\") for word in words)
    return sa.select(TicketNote.ticket_id).where(*likes)


def any_noted(words: list[str]) -> bool:
    """Whether a note holds every word; asked once a request, however many of the page's
    queries (rows, tab counts, the newest id) search."""
    asked = g.setdefault("noted_searches", {})
    key = tuple(words)
    if key not in asked:
        asked[key] = db.session.scalar(sa.select(noted_ids(words).limit(1).exists())) is True
    return asked[key]


def index_match(words: list[str]) -> sa.ColumnElement[bool] | None:
    """The full-text index's condition for every word (as like_words, less the ticket number),
    or None when this database or these words cannot use the index."""
    if not words or not search_index.uses_fts():
        return None
    if len(words) > 1 and any(ticket_number(word) is not None for word in words):
        return None  # "#42 printer": a number among words is a LIKE search
    # Trigram finds nothing for a term shorter than three characters (it has no trigram to
    # look up), so those few searches go through LIKE.
    if min(min(len(w), len(w.lstrip("@"))) for w in words) < search_index.MIN_TERM:
        return None
    column = search_index.fts.c[search_index.TABLE]
    return column.op("MATCH")(search_index.match_words(words))


def search_condition(words: list[str]) -> sa.ColumnElement[bool] | None:
    """The search as one condition on the tickets' table (for counting), None without one."""
    if not words:
        return None
    match = index_match(words)
    if match is None:
        return like_words(words)
    return Ticket.id.in_(matching_ids(match, words))


def matching_ids(match: sa.ColumnElement[bool], words: list[str]) -> sa.Select | sa.CompoundSelect:
    """Ids of the tickets the index matches, of those whose notes hold every word (when some
    note does), and of the ticket a one-word search numbers, if it numbers one. The index's
    matches alone are a plain SELECT: a UNION would sort every match to drop repeats."""
    parts = [sa.select(search_index.fts.c.rowid).where(match)]
    if any_noted(words):
        parts.append(noted_ids(words))
    number = single_number(words)
    if number is not None:
        numbered = aliased(Ticket, name="numbered")  # not the outer query's table
        parts.append(sa.select(numbered.id).where(numbered.id == number))
    return parts[0] if len(parts) == 1 else sa.union(*parts)


def unindexed(column: sa.ColumnElement) -> sa.ColumnElement:
    """`+column`: the same value, but SQLite will not use an index for a comparison with it."""
    return UnaryExpression(column, operator=custom_op("+"), type_=column.type)


def local_midnight(day: date) -> datetime:
    """The instant a day starts in the team's time zone (desk/web.py `local_zone`)."""
    return datetime.combine(day, time(0), tzinfo=local_zone()).astimezone(UTC)


def sender_clause(
    term: str, column: Callable[[sa.ColumnElement], sa.ColumnElement]
) -> sa.ColumnElement[bool]:
    """Every word of `term` in the sender's username, first or last name."""
    clauses = []
    for word in term.split():
        pattern = f"%{escape_like(word.lstrip('@'))}%"
        names = (Ticket.sender_username, Ticket.sender_first_name, Ticket.sender_last_name)
        clauses.append(sa.or_(*(column(name).ilike(pattern, escape="\\") for name in names)))
    return sa.and_(*clauses)


def ticket_filters(
    form: TicketFilterForm,
    column: Callable[[sa.ColumnElement], sa.ColumnElement] = lambda c: c,
    status: bool = True,
) -> list[sa.ColumnElement[bool]]:
    """The filters besides the text search, each on `column(...)` of its column; the status
    filter left out with `status=False` (the tabs count every status)."""
    filters = []
    if status and form.status.data == UNRESOLVED:
        # IN, not !=: an inequality reads the whole (status, created_at) index.
        filters.append(column(Ticket.status).in_(UNRESOLVED_STATUSES))
    elif status and form.status.data != ANY:
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
    if form.sender.data.strip():
        filters.append(sender_clause(form.sender.data, column))
    if form.created_from.data:
        filters.append(column(Ticket.created_at) >= local_midnight(form.created_from.data))
    if form.created_to.data:
        end = local_midnight(form.created_to.data + timedelta(days=1))
        filters.append(column(Ticket.created_at) < end)
    return filters


def count(query: sa.Select) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))


def passing(filters: list[sa.ColumnElement[bool]], up_to: int) -> bool:
    """True when fewer than `up_to` tickets pass `filters` (counting stops there)."""
    return count(sa.select(Ticket.id).where(*filters).limit(up_to)) < up_to


def sort_of(form: TicketFilterForm) -> TicketSort:
    """The chosen order. Left at the queue's order, a search and the resolved tickets alone
    list the newest first: none of the resolved presses, a search looks for a ticket rather
    than for work, and the created_at index pages both without sorting every match."""
    sort = TicketSort(form.sort.data)
    searching = bool((form.q.data or "").strip())
    if sort == TicketSort.QUEUE and (searching or form.status.data == Status.RESOLVED.value):
        return TicketSort.NEWEST
    return sort


def ticket_query(form: TicketFilterForm) -> sa.Select:
    """The filtered tickets in the form's order. Each equality filter matches one of the
    (column, created_at) indexes; a search reads the full-text index's matches when it can."""
    query = sa.select(Ticket).options(selectinload(Ticket.assignee))
    order = queue_order.order(sort_of(form))
    filters = ticket_filters(form)
    words = words_of(form)
    match = index_match(words)
    if match is None:
        if words:
            filters.append(like_words(words))
        return query.where(*filters).order_by(*order)

    if filters and passing(filters, up_to=count(matching_ids(match, words))):
        # Fewer tickets pass the filters than match (open tickets mentioning "printer"): walk
        # them through the filters' index and look each up among the matches.
        ids = matching_ids(match, words)
        return query.where(*filters, Ticket.id.in_(ids)).order_by(*order)

    # Start from the index's matches and read those tickets by id. Left to itself SQLite
    # (which keeps no statistics here) would walk a whole filter index, such as (status,
    # created_at), and run the search for every ticket: minutes. So the filters keep off their
    # indexes.
    query = query.where(*ticket_filters(form, unindexed))
    if sort_of(form) != TicketSort.NEWEST:
        return query.where(Ticket.id.in_(matching_ids(match, words))).order_by(*order)
    # Newest first by id, which follows filing order, so no sort is needed.
    if single_number(words) is None and not any_noted(words):
        # The index hands out its matches in rowid order: a page stops after its 25.
        fts = search_index.fts
        query = query.join(fts, fts.c.rowid == Ticket.id).where(match)
        return query.order_by(fts.c.rowid.desc())
    ids = matching_ids(match, words)
    return query.where(Ticket.id.in_(ids)).order_by(Ticket.id.desc())


def quick_count(form: TicketFilterForm) -> sa.Select | None:
    """The number of tickets a search finds, counted in the index alone, when the search is
    the list's only filter (every match is a ticket); None when db.paginate must count.

    db.paginate's count would read every matching ticket: 8,333 of 100,000 for "printer",
    15 ms instead of 3.
    """
    words = words_of(form)
    match = index_match(words)
    if match is None or ticket_filters(form):
        return None
    ids = matching_ids(match, words).subquery()
    return sa.select(sa.func.count()).select_from(ids)


def queue_parts(form: TicketFilterForm) -> tuple[sa.Select, sa.Select] | None:
    """The queue over every status as two lists, one after the other: the unresolved tickets
    in the queue's order, then the resolved ones newest first. None for any other list.

    Apart, each reads its own stretch of a status index; as one query, the database would
    sort every ticket ever filed for page 1 (73 ms at 100,000 tickets, 5x its floor).
    """
    if sort_of(form) != TicketSort.QUEUE or form.status.data != ANY:
        return None
    query = sa.select(Ticket).options(selectinload(Ticket.assignee)).where(*ticket_filters(form))
    unresolved = query.where(Ticket.status.in_(UNRESOLVED_STATUSES))
    resolved = query.where(Ticket.status == Status.RESOLVED)
    return (
        unresolved.order_by(*queue_order.order(TicketSort.QUEUE)),
        resolved.order_by(*queue_order.RESOLVED_AFTER_QUEUE),
    )


class PartsPagination(Pagination):
    """db.paginate over lists shown one after another (`parts`): a page takes its rows from
    whichever parts its stretch covers, each part counted once."""

    def _counts(self) -> list[int]:
        if not hasattr(self, "_part_counts"):
            self._part_counts = [count(part.order_by(None)) for part in self._query_args["parts"]]
        return self._part_counts

    def _query_items(self) -> list[Ticket]:
        items: list[Ticket] = []
        skip = self._query_offset
        for part, size in zip(self._query_args["parts"], self._counts(), strict=True):
            wanted = self.per_page - len(items)
            if wanted <= 0:
                break
            if skip >= size:
                skip -= size
                continue
            rows = db.session.execute(part.limit(wanted).offset(skip))
            items += rows.unique().scalars()
            skip = 0
        return items

    def _query_count(self) -> int:
        return sum(self._counts())


def page_of(form: TicketFilterForm, number: str | None) -> Pagination:
    """One page of the list (db.paginate), counted the quick way when it can be."""
    arguments = {
        # A mangled or absurd page number (past what an OFFSET can hold) shows the first page.
        "page": page_number(number),
        "per_page": current_app.config["TICKETS_PER_PAGE"],
        "max_per_page": 100,
        "error_out": False,
    }
    parts = queue_parts(form)
    if parts is not None:
        return PartsPagination(parts=parts, **arguments)
    quick = quick_count(form)
    page = db.paginate(ticket_query(form), count=quick is None, **arguments)
    if quick is not None:
        page.total = db.session.scalar(quick)
    return page


def tab_counts(form: TicketFilterForm) -> dict[str, int]:
    """Tickets per status tab under every other filter and the search: one GROUP BY."""
    conditions = ticket_filters(form, status=False)
    search = search_condition(words_of(form))
    if search is not None:
        conditions.append(search)
    rows = db.session.execute(
        sa.select(Ticket.status, sa.func.count()).where(*conditions).group_by(Ticket.status)
    )
    counts = {s.value: 0 for s in Status}
    for value, number in rows:
        counts[Status(value).value] = number
    counts[ANY] = sum(counts.values())
    counts[UNRESOLVED] = counts[ANY] - counts[Status.RESOLVED.value]
    return counts


def newest_id(form: TicketFilterForm) -> int | None:
    """The newest ticket the filters and search let through: a script compares it with the
    one it saw to say a new ticket arrived, on whatever page and in whatever order."""
    conditions = ticket_filters(form)
    words = words_of(form)
    match = index_match(words)
    if match is not None and not conditions:
        # Every match is a ticket: the newest is the highest id the index (and the notes)
        # hold, found without reading the 8,333 tickets "printer" matches among 100,000.
        ids = matching_ids(match, words).subquery()
        return db.session.scalar(sa.select(sa.func.max(ids.c[0])))
    search = search_condition(words)
    if search is not None:
        conditions.append(search)
    return db.session.scalar(sa.select(sa.func.max(Ticket.id)).where(*conditions))


def row_text(text: str) -> str:
    text = visible(" ".join(text.split()))
    return text if len(text) <= ROW_TEXT else text[: ROW_TEXT - 1] + "…"


def row(ticket: Ticket) -> dict[str, object]:
    """A ticket as the list shows it; the template and static/js/queue.js share this shape.
    What users wrote is visible text here (user_text.py); both put it in a <bdi>."""
    return {
        "id": ticket.id,
        "number": ticket.number,
        "url": url_for("ticket_pages.detail", ticket_id=ticket.id),
        "text": row_text(ticket.text),
        "sender": visible(ticket.sender_name),
        "username": visible(ticket.sender_username) if ticket.sender_username else None,
        "status": ticket.status.value,
        "status_label": status_label(ticket.status),
        "priority": ticket.priority.value,
        "priority_label": priority_label(ticket.priority),
        "sla": sla.as_dict(sla.of(ticket)),
        "assignee": visible(ticket.assignee.display_name) if ticket.assignee else None,
        "created": localtime(ticket.created_at, "%d %b %H:%M"),
        "created_at": localtime(ticket.created_at, "%Y-%m-%d %H:%M"),
        "take_url": (
            url_for("ticket_pages.take", ticket_id=ticket.id)
            if ticket.assignee_id is None and ticket.status != Status.RESOLVED
            else None
        ),
    }
