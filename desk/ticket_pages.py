"""Ticket pages: the filtered list, the detail page with its thread, and what a tech does there."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from desk import attachments, saved_replies, sla, ticket_actions, ticket_list
from desk.extensions import db
from desk.permissions import require_login
from desk.thread import build_thread
from desk.web import priority_label, status_label
from forms import (
    ANY,
    NOBODY,
    UNRESOLVED,
    AssignForm,
    EmptyForm,
    PriorityForm,
    StatusForm,
    TicketFilterForm,
)
from models import ANSWER_PART, Priority, Status, SupportResponse, Ticket, User
from reply_forms import MAX_ANSWER, MAX_ANSWER_FILES, AnswerForm
from user_text import isolate, visible

bp = Blueprint("ticket_pages", __name__, url_prefix="/tickets")
DRAFT_ID = re.compile(r"[A-Za-z0-9-]{1,40}")  # names a draft kept in the browser
bp.before_request(require_login)


FILTER_NAMES = ("status", "priority", "assignee", "q", "sender", "created_from", "created_to")


def filter_args(form: TicketFilterForm, **changes: str) -> dict[str, str]:
    """The list's query arguments with `changes` applied, leaving out the defaults (a status
    is left out when it is the default for the assignee: My tickets are the unresolved ones)."""
    args = {name: form[name].data or "" for name in FILTER_NAMES}
    for name in TicketFilterForm.DATES:
        args[name] = args[name].isoformat() if args[name] else ""
    if form.sort.data != form.sort.default:
        args["sort"] = form.sort.data
    args.update(changes)
    if args.get("status") == (UNRESOLVED if args.get("assignee") == "me" else ANY):
        del args["status"]
    # "all" is a default everywhere but in a status that is not the default one.
    return {k: v for k, v in args.items() if v and (v != ANY or k == "status")}


def listing(form: TicketFilterForm) -> dict[str, object]:
    """What the list page and its live endpoint show: one page, the tab counts, the rows."""
    page = ticket_list.page_of(form, request.args.get("page"))
    return {
        "page": page,
        "rows": [ticket_list.row(t) for t in page.items],
        "counts": ticket_list.tab_counts(form),
        "newest": ticket_list.newest_id(form),
    }


@bp.get("/")
def index():
    """Tickets, filtered, searched and sorted (most pressing first), paginated."""
    form = TicketFilterForm(request.args)
    for message in form.clean():
        flash(message, "error")
    return render_template(
        "tickets/list.html",
        form=form,
        default_status=form.default_status(),
        filter_args=lambda **changes: filter_args(form, **changes),
        page_url=lambda number: url_for("ticket_pages.index", page=number, **filter_args(form)),
        **listing(form),
    )


@bp.get("/live.json")
def list_live():
    """The list's rows and tab counts for the same query string, polled by static/js/queue.js."""
    form = TicketFilterForm(request.args)
    form.clean()
    data = listing(form)
    page = data.pop("page")
    return jsonify(data | {"total": page.total, "page": page.page, "pages": page.pages})


def get_ticket(ticket_id: int) -> Ticket:
    return db.get_or_404(Ticket, ticket_id)


def detail_forms(ticket: Ticket) -> dict[str, object]:
    """The detail page's forms, filled from the ticket (not from any posted data)."""
    return {
        "answer_form": AnswerForm(formdata=None),
        "status_form": StatusForm(formdata=None, status=ticket.status.value),
        "priority_form": PriorityForm(formdata=None, priority=ticket.priority.value),
        "assign_form": AssignForm(formdata=None, assignee=ticket.assignee_id or NOBODY),
        "button_form": EmptyForm(formdata=None),
    }


def render_detail(ticket: Ticket, status: int = 200, **failed_forms: object):
    """The detail page; `failed_forms` replace their clean twins to show their errors."""
    forms = detail_forms(ticket) | failed_forms
    return (
        render_template(
            "tickets/detail.html",
            ticket=ticket,
            thread=build_thread(ticket),
            answer_max=MAX_ANSWER,
            answer_part=ANSWER_PART,
            answer_accept=attachments.ACCEPT,
            saved_replies=saved_replies.offered(ticket, current_user),
            **forms,
        ),
        status,
    )


def apply(ticket: Ticket, action: Callable[[], object], success: str):
    """Run a ticket action, commit, say how it went and go back to the ticket."""
    try:
        action()
    except ticket_actions.ActionRefused as refusal:
        db.session.rollback()
        flash(str(refusal), "error")
    else:
        db.session.commit()
        flash(success, "success")
    return redirect(url_for("ticket_pages.detail", ticket_id=ticket.id))


@bp.get("/<int:ticket_id>")
def detail(ticket_id: int):
    """A ticket: its sender, the whole thread, the answer form and the controls."""
    return render_detail(get_ticket(ticket_id))


@bp.get("/<int:ticket_id>/live.json")
def live(ticket_id: int):
    """The ticket's state and thread, polled by static/js/ticket.js (delivery states change)."""
    ticket = get_ticket(ticket_id)
    return jsonify(
        {
            "status": ticket.status.value,
            "status_label": status_label(ticket.status),
            "priority": ticket.priority.value,
            "priority_label": priority_label(ticket.priority),
            "sla": sla.as_dict(sla.of(ticket)),
            "assignee": visible(ticket.assignee.display_name) if ticket.assignee else None,
            "thread": [entry.to_dict() for entry in build_thread(ticket)],
        }
    )


@bp.post("/<int:ticket_id>/answer")
def answer(ticket_id: int):
    """Queue an answer, which the bot delivers to the user's chat, or keep an internal note."""
    ticket = get_ticket(ticket_id)
    # Files ride with the answer: room for MAX_ANSWER_FILES of them (the app's limit is 1 MiB).
    request.max_content_length = MAX_ANSWER_FILES * attachments.max_bytes() + 1024 * 1024
    form = AnswerForm()
    if not form.validate_on_submit():
        return render_detail(ticket, 422, answer_form=form)
    files = [(f.filename, f.read()) for f in form.chosen_files()]
    refusals = [
        r for name, content in files if (r := attachments.refused_answer_file(name, content))
    ]
    if refusals:
        form.files.errors.extend(refusals)
        return render_detail(ticket, 422, answer_form=form)
    if form.note.data:
        ticket_actions.add_note(ticket, form.text.data.strip(), current_user)
        db.session.commit()
        message = f"Note saved for the team; {isolate(ticket.sender_name)} does not see it."
        if ticket.next_escalation_at is not None:
            message += " Escalation goes on: acknowledge the ticket to stop the pages."
        flash(message, "success")
    else:
        ticket_actions.answer(ticket, (form.text.data or "").strip(), current_user, files)
        db.session.commit()
        message = f"Answer queued: the bot will deliver it to {isolate(ticket.sender_name)}."
        flash(message, "success")
    # The browser keeps the draft until this confirmation names it (static/js/ticket.js).
    draft = request.form.get("draft", "")
    anchor = f"sent-{draft}" if DRAFT_ID.fullmatch(draft) else "thread-end"
    return redirect(url_for("ticket_pages.detail", ticket_id=ticket.id, _anchor=anchor))


@bp.get("/<int:ticket_id>/answer")
def answer_not_sent(ticket_id: int):
    """Where the login returns an answer sent after the session ended: back to the ticket,
    whose page restores the draft this browser kept and says it was not sent yet."""
    get_ticket(ticket_id)
    return redirect(url_for("ticket_pages.detail", ticket_id=ticket_id, _anchor="answer-form"))


@bp.post("/<int:ticket_id>/status")
def set_status(ticket_id: int):
    """Set the ticket's status (resolving ends escalation)."""
    ticket = get_ticket(ticket_id)
    form = StatusForm()
    if not form.validate_on_submit():
        return render_detail(ticket, 422, status_form=form)
    status = Status(form.status.data)
    return apply(
        ticket,
        lambda: ticket_actions.set_status(ticket, status, current_user),
        f"Status set to {status_label(status)}.",
    )


@bp.post("/<int:ticket_id>/priority")
def set_priority(ticket_id: int):
    """Set the ticket's priority."""
    ticket = get_ticket(ticket_id)
    form = PriorityForm()
    if not form.validate_on_submit():
        return render_detail(ticket, 422, priority_form=form)
    priority = Priority(form.priority.data)
    return apply(
        ticket,
        lambda: ticket_actions.set_priority(ticket, priority, current_user),
        f"Priority set to {priority_label(priority)}.",
    )


@bp.post("/<int:ticket_id>/assign")
def assign(ticket_id: int):
    """Assign the ticket to an active user, or to nobody."""
    ticket = get_ticket(ticket_id)
    form = AssignForm()
    if not form.validate_on_submit():
        return render_detail(ticket, 422, assign_form=form)
    assignee = db.session.get(User, form.assignee.data) if form.assignee.data else None
    message = f"Assigned to {isolate(assignee.display_name)}." if assignee else "Unassigned."
    return apply(ticket, lambda: ticket_actions.assign(ticket, assignee, current_user), message)


@bp.post("/<int:ticket_id>/take")
def take(ticket_id: int):
    """Assign to me in one click: acknowledge, assign and set in progress."""
    ticket = get_ticket(ticket_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    return apply(
        ticket,
        lambda: ticket_actions.take(ticket, current_user),
        f"Ticket #{ticket.number} is yours.",
    )


@bp.post("/<int:ticket_id>/acknowledge")
def acknowledge(ticket_id: int):
    """Say "seen": escalation pauses until the acknowledgement timeout."""
    ticket = get_ticket(ticket_id)
    if not EmptyForm().validate_on_submit():
        abort(400)

    def acknowledge_once() -> None:
        if not ticket_actions.acknowledge(ticket, current_user):
            # The ticket as the press that won left it: the page names that person.
            if ticket.acknowledged_by_id == current_user.id:
                raise ticket_actions.ActionRefused("You had already acknowledged it.")
            by = ticket.acknowledged_by
            who = isolate(by.display_name) if by else "someone"
            raise ticket_actions.ActionRefused(f"{who} had already acknowledged it.")

    return apply(ticket, acknowledge_once, "Acknowledged: paging has stopped.")


@bp.post("/<int:ticket_id>/resolve")
def resolve(ticket_id: int):
    """Resolve the ticket."""
    ticket = get_ticket(ticket_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    return apply(
        ticket,
        lambda: ticket_actions.resolve(ticket, current_user),
        f"Ticket #{ticket.number} resolved.",
    )


@bp.post("/<int:ticket_id>/answers/<int:response_id>/retry")
def retry(ticket_id: int, response_id: int):
    """Queue a failed answer for delivery again."""
    ticket = get_ticket(ticket_id)
    response = db.get_or_404(SupportResponse, response_id)
    if response.ticket_id != ticket.id:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    return apply(
        ticket,
        lambda: ticket_actions.retry_delivery(response, current_user),
        "The answer is queued for delivery again.",
    )
