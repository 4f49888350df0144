"""On-call hours per person over a chosen period (admins; teams pay by them), with a CSV.

Counted from `on_call_schedule.shifts`, the final schedule's answer (slots, rotations and
overrides), so the hours agree with whom the bot paged."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import Blueprint, Response, render_template, request
from werkzeug.datastructures import MultiDict

import on_call_schedule
from desk import audit, clock, oncall
from desk.permissions import require_admin
from schedule_forms import HoursForm

bp = Blueprint("hours_pages", __name__, url_prefix="/schedule/hours")
bp.before_request(require_admin)


@dataclass(frozen=True)
class Hours:
    name: str
    primary: timedelta
    backup: timedelta

    @property
    def total(self) -> timedelta:
        return self.primary + self.backup


def hours(start: date, end: date) -> list[Hours]:
    """Each person's time on call from `start` to `end` (inclusive days, the team's zone)."""
    tz = oncall.schedule_zone()
    since = datetime.combine(start, time(0), tz)
    until = datetime.combine(end + timedelta(days=1), time(0), tz)
    roster = oncall.load_roster(since, until)
    totals: dict[int, dict[on_call_schedule.Role, timedelta]] = {}
    for shift in on_call_schedule.shifts(roster.schedule, since, until):
        per_role = totals.setdefault(
            shift.person_id, dict.fromkeys(on_call_schedule.Role, timedelta())
        )
        per_role[shift.role] += shift.duration
    rows = [
        Hours(
            roster.people[p].name if p in roster.people else f"user #{p}",
            roles[on_call_schedule.Role.PRIMARY],
            roles[on_call_schedule.Role.BACKUP],
        )
        for p, roles in totals.items()
    ]
    return sorted(rows, key=lambda row: (-row.total, row.name))


def in_hours(span: timedelta) -> str:
    """Decimal hours, as pay sheets take them: 7.5."""
    return f"{span.total_seconds() / 3600:.2f}".rstrip("0").rstrip(".")


def period_form() -> HoursForm:
    """The period asked for; this month by default."""
    today = clock.now().astimezone(oncall.schedule_zone()).date()
    first = today.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    if request.args:
        return HoursForm(request.args)
    # As if typed, so the required-input checks see it.
    return HoursForm(MultiDict({"start": first.isoformat(), "end": last.isoformat()}))


@bp.get("/")
def index():
    """On-call hours per person over the chosen period."""
    form = period_form()
    valid = form.validate()
    rows = hours(form.start.data, form.end.data) if valid else []
    status = 200 if valid else 422
    return render_template("schedule/hours.html", form=form, rows=rows, in_hours=in_hours), status


@bp.get("/export.csv")
def export():
    """The same hours as CSV (names a spreadsheet would run as formulas are quoted)."""
    form = period_form()
    if not form.validate():
        return index()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["person", "primary hours", "backup hours", "total hours"])
    for row in hours(form.start.data, form.end.data):
        writer.writerow(
            [
                audit.spreadsheet_cell(row.name),
                in_hours(row.primary),
                in_hours(row.backup),
                in_hours(row.total),
            ]
        )
    name = f"on-call-hours-{form.start.data.isoformat()}-{form.end.data.isoformat()}.csv"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
