"""The reports page (every tech): a period's numbers as charts and tables, each table as CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for

from desk import charts, clock, reports, satisfaction_report, sla
from desk.audit import spreadsheet_cell
from desk.permissions import require_login
from forms import PRIORITY_LABELS, ReportPeriodForm
from models import Priority

bp = Blueprint("report_pages", __name__, url_prefix="/reports")
bp.before_request(require_login)

MEASURE_LABELS = {
    "acknowledge": "Time to acknowledge",
    "first_answer": "Time to first answer",
    "resolve": "Time to resolve",
}


def period_of(form: ReportPeriodForm) -> reports.Period:
    """The period the form asks for; the last 30 days when it asks for nothing valid."""
    tz = reports.ZoneInfo(current_app.config["TIMEZONE"])
    today = reports.local_day(clock.now(), tz)
    if form.validate() and form.range.data == "custom":
        return reports.Period(form.start.data, form.end.data, tz)
    days = int(form.range.data) if form.range.data in {"7", "30", "90"} else 30
    return reports.Period(today - timedelta(days=days - 1), today, tz)


def query_args(form: ReportPeriodForm) -> dict[str, str]:
    args = {"range": form.range.data or "30"}
    if args["range"] == "custom" and not form.errors:
        args |= {"start": form.start.data.isoformat(), "end": form.end.data.isoformat()}
    return args


def day_label(day: date, period: reports.Period) -> str:
    return day.strftime("%d %b") if len(period.days) <= 31 else day.strftime("%d.%m")


@bp.get("/")
def index():
    """Created and resolved tickets, backlog, reaction times, load and escalation."""
    form = ReportPeriodForm(request.args)
    period = period_of(form)
    report = reports.build(period, clock.now(), sla.targets())
    labels = [day_label(d.day, period) for d in report.days]
    volume = charts.bars(
        labels,
        [
            charts.Series("created", [d.created for d in report.days], "chart-a"),
            charts.Series("resolved", [d.resolved for d in report.days], "chart-b"),
        ],
        "Tickets created and resolved per day",
    )
    backlog = charts.line(
        labels,
        charts.Series("open", [d.backlog for d in report.days], "chart-c"),
        "Open tickets at the end of each day",
    )
    args = query_args(form)
    return render_template(
        "reports/index.html",
        form=form,
        report=report,
        volume_chart=volume,
        backlog_chart=backlog,
        measures=MEASURE_LABELS,
        priorities=[None, *Priority],
        priority_labels=PRIORITY_LABELS,
        satisfaction=satisfaction_report.build(report),
        scale=list(satisfaction_report.SCALE),
        percent=satisfaction_report.percent,
        decimal=satisfaction_report.decimal,
        csv_url=lambda table: url_for("report_pages.export", table=table, **args),
    ), (422 if form.errors else 200)


@bp.get("/<table>.csv")
def export(table: str):
    """One table of the page as CSV, for the same period."""
    if table not in TABLES and table != "satisfaction":
        abort(404)
    form = ReportPeriodForm(request.args)
    period = period_of(form)
    out = io.StringIO()
    writer = csv.writer(out)
    report = reports.build(period, clock.now(), sla.targets())
    if table == "satisfaction":
        rows = satisfaction_report.csv_rows(satisfaction_report.build(report))
    else:
        rows = TABLES[table](report)
    for row in rows:
        writer.writerow([spreadsheet_cell(str(cell)) for cell in row])
    name = f"{table}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def minutes(value: timedelta | None) -> str:
    return "" if value is None else f"{value.total_seconds() / 60:.1f}"


def _days(report: reports.Report):
    yield ["day", "created", "resolved", "open at end of day"]
    for day in report.days:
        yield [day.day.isoformat(), day.created, day.resolved, day.backlog]


def _times(report: reports.Report):
    yield ["measure", "priority", "tickets", "median (minutes)", "90th percentile (minutes)"]
    for measure, label in MEASURE_LABELS.items():
        for priority in (None, *Priority):
            one = report.times[measure][priority]
            name = PRIORITY_LABELS[priority] if priority else "All"
            yield [label, name, one.count, minutes(one.median), minutes(one.p90)]


def _techs(report: reports.Report):
    yield ["tech", "tickets answered", "answers delivered", "median time to first answer (minutes)"]
    for tech in report.techs:
        yield [tech.name, tech.tickets, tech.answers, minutes(tech.first_answer.median)]


def _pages(report: reports.Report):
    escalation = report.escalation
    yield ["person", "pages"]
    for name, count in escalation.per_person:
        yield [name, count]


def _targets(report: reports.Report):
    yield ["target", "priority", "within (minutes)", "tickets judged", "met", "met (%)"]
    for (measure, priority), one in report.targets.items():
        rate = "" if one.rate is None else f"{one.rate * 100:.0f}"
        label = "first answer" if measure == "first_answer" else "resolution"
        minutes_ = int(one.target.total_seconds() // 60)
        yield [label, PRIORITY_LABELS[priority], minutes_, one.judged, one.met, rate]


TABLES = {
    "days": _days,
    "times": _times,
    "techs": _techs,
    "pages": _pages,
    "targets": _targets,
}
