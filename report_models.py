"""The reports' own tables: one row of figures a day (desk/report_days.py), the hours whose
changes they have still to take in (filled by the triggers of desk/report_marks.py), and
the row they lock while they catch up.

Kept beside `models.py` so neither grows past what one can read; `models.py` imports nothing
from here. desk/report_marks.py imports it, so the tables are in the metadata whenever the
triggers are (desk/bootstrap.py imports that one).
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models import db


class ReportMark(db.Model):
    """An hour (UTC) in which a row the reports count changed, written by database triggers
    (desk/report_marks.py) and consumed by the reports, which recompute the days it touches."""

    __tablename__ = "report_marks"

    id: Mapped[int] = mapped_column(primary_key=True)
    hour: Mapped[str] = mapped_column(sa.String(13))  # "2026-11-24 17", UTC


class ReportDay(db.Model):
    """One day's figures for the reports, in the team's zone (desk/report_days.py)."""

    __tablename__ = "report_days"

    tz: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    # Tickets filed minus closed plus reopened that day: the backlog is their running sum.
    net: Mapped[int] = mapped_column(default=0)
    figures: Mapped[dict] = mapped_column(sa.JSON)


class ReportState(db.Model):
    """The one row the reports lock while they bring report_days up to date."""

    __tablename__ = "report_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    tz: Mapped[str | None] = mapped_column(sa.String(64))
