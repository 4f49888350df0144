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

from collections import Counter
from dataclasses import dataclass, field

from desk import report_days
from desk.reports import Report, user_names
from desk.satisfaction import SATISFIED, SCALE

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


def build(report: Report) -> Satisfaction:
    """The section of `report`'s period, from its days' rows (desk/report_days.py)."""
    asked: Counter[str] = Counter()
    scores: dict[str, Counter[int]] = {}
    for figures in report.rows.values():
        for key, one in figures["ratings"].items():
            asked[key] += one["asked"]
            scores.setdefault(key, Counter()).update(
                {int(score): count for score, count in one["scores"].items()}
            )
    names = user_names({int(key) for key in asked if key != report_days.UNASSIGNED})
    overall = Ratings("All")
    techs: list[Ratings] = []
    for key, count in asked.items():
        if key == report_days.UNASSIGNED:
            name = UNASSIGNED
        else:
            name = names.get(int(key), f"#{key}")
        tech = Ratings(name, asked=count)
        for score in SCALE:
            tech.counts[score] = scores[key][score]
            overall.counts[score] += scores[key][score]
        overall.asked += count
        techs.append(tech)
    ordered = sorted(techs, key=lambda t: (t.name == UNASSIGNED, -t.rated, t.name.casefold()))
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
