"""The satisfaction section of the reports: ratings over a period, overall and per tech.

- **Which tickets**: those asked "How did we do?" in the period (`rating_asked_at`, the moment
  of the resolve that asked, once per ticket), so a late rating still counts for the period of
  its resolution and a reopen never moves a ticket to another period.
- **Response rate**: rated / asked. **Average**: the mean score of the rated. **CSAT**: the
  share of ratings of 4 or 5 among the rated.
- **Per tech**: by the ticket's assignee (as it is now; tickets nobody was assigned to under
  *Unassigned*), the person the team sees as owning the ticket.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from desk.extensions import db
from desk.reports import Period
from desk.satisfaction import SATISFIED, SCALE
from models import Ticket, User

UNASSIGNED = "Unassigned"


@dataclass
class Ratings:
    """The ratings of a set of tickets (everyone's, or one tech's)."""

    name: str
    asked: int = 0
    counts: dict[int, int] = field(default_factory=lambda: dict.fromkeys(SCALE, 0))

    @property
    def rated(self) -> int:
        return sum(self.counts.values())

    @property
    def response_rate(self) -> float | None:
        return self.rated / self.asked if self.asked else None

    @property
    def average(self) -> float | None:
        if not self.rated:
            return None
        return sum(score * count for score, count in self.counts.items()) / self.rated

    @property
    def csat(self) -> float | None:
        if not self.rated:
            return None
        return sum(self.counts[score] for score in SATISFIED) / self.rated


@dataclass(frozen=True)
class Satisfaction:
    overall: Ratings
    techs: list[Ratings]


def build(period: Period) -> Satisfaction:
    rows = db.session.execute(
        sa.select(Ticket.assignee_id, User.full_name, User.username, Ticket.rating)
        .outerjoin(User, User.id == Ticket.assignee_id)
        .where(Ticket.rating_asked_at >= period.start, Ticket.rating_asked_at < period.end)
    )
    overall = Ratings("All")
    techs: dict[int | None, Ratings] = {}
    for assignee_id, full_name, username, rating in rows:
        name = (full_name or username) if assignee_id is not None else UNASSIGNED
        tech = techs.setdefault(assignee_id, Ratings(name))
        for one in (overall, tech):
            one.asked += 1
            if rating in one.counts:
                one.counts[rating] += 1
    ordered = sorted(
        techs.values(), key=lambda t: (t.name == UNASSIGNED, -t.rated, t.name.casefold())
    )
    return Satisfaction(overall, ordered)


def percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.0f}"


def decimal(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def csv_rows(satisfaction: Satisfaction):
    """The CSV of the section: everyone first, then each tech, the page's figures."""
    yield [
        "tech",
        "asked",
        "rated",
        "response rate (%)",
        "average",
        "CSAT (%)",
        *(f"rated {score}" for score in SCALE),
    ]
    for one in (satisfaction.overall, *satisfaction.techs):
        yield [
            one.name,
            one.asked,
            one.rated,
            percent(one.response_rate),
            decimal(one.average),
            percent(one.csat),
            *(one.counts[score] for score in SCALE),
        ]
