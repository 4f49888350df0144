"""The audit log (admins): filters, pages of 50, and the same lines as CSV."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, render_template, request, url_for

from desk import audit
from desk.extensions import db
from desk.permissions import require_admin
from desk.validation import page_number
from forms import ANY, AuditFilterForm
from models import AuditAction

bp = Blueprint("audit_pages", __name__, url_prefix="/audit")
bp.before_request(require_admin)

PER_PAGE = 50
CSV_LIMIT = 100_000


def filters_from(form: AuditFilterForm) -> audit.Filters:
    zone = ZoneInfo(current_app.config["TIMEZONE"])

    def start_of(day) -> datetime | None:
        return datetime.combine(day, time(), zone) if day else None

    until = start_of(form.until.data + timedelta(days=1)) if form.until.data else None
    return audit.Filters(
        action=AuditAction(form.action.data) if form.action.data not in (None, ANY) else None,
        actor=form.actor.data or "",
        text=form.text.data or "",
        since=start_of(form.since.data),
        until=until,
    )


def form_args(form: AuditFilterForm) -> dict[str, str]:
    names = ("action", "actor", "text", "since", "until")
    args = {name: request.args.get(name, "") for name in names}
    return {k: v for k, v in args.items() if v and v != ANY and k not in form.errors}


@bp.get("/")
def index():
    """Who changed what and when, newest first."""
    form = AuditFilterForm(request.args, labels=audit.LABELS)
    form.clean()
    page = db.paginate(
        audit.query(filters_from(form)),
        page=page_number(request.args.get("page")),
        per_page=PER_PAGE,
        error_out=False,
    )
    args = form_args(form)
    return render_template(
        "audit/index.html",
        form=form,
        page=page,
        labels=audit.LABELS,
        page_url=lambda number: url_for("audit_pages.index", page=number, **args),
        csv_url=url_for("audit_pages.export", **args),
    )


@bp.get("/export.csv")
def export():
    """The filtered lines as CSV (cells that a spreadsheet would run as formulas are quoted)."""
    form = AuditFilterForm(request.args, labels=audit.LABELS)
    form.clean()
    events = db.session.scalars(audit.query(filters_from(form)).limit(CSV_LIMIT))
    return Response(
        audit.as_csv(events),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
    )
