"""Saved replies (admins keep them; every tech inserts them on a ticket's answer box)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from desk import audit, saved_replies
from desk.extensions import db
from desk.permissions import require_admin
from forms import EmptyForm
from message_models import PLACEHOLDERS, SavedReply
from models import AuditAction
from reply_forms import SavedReplyForm

bp = Blueprint("saved_reply_pages", __name__, url_prefix="/replies")
bp.before_request(require_admin)

PLACEHOLDER_HINT = ", ".join("{" + name + "}" for name in PLACEHOLDERS)


def render_index(form: SavedReplyForm, status: int = 200):
    return render_template(
        "replies/index.html",
        replies=saved_replies.all_replies(),
        form=form,
        placeholders=PLACEHOLDER_HINT,
    ), status


@bp.get("/")
def index():
    return render_index(SavedReplyForm())


@bp.post("/")
def create():
    form = SavedReplyForm()
    if not validated(form, None):
        return render_index(form, 422)
    reply = saved_replies.save(None, form.title.data.strip(), form.body.data.strip(), current_user)
    audit.record(AuditAction.SAVED_REPLY_SAVED, reply.title, "created")
    db.session.commit()
    flash(f"Saved reply “{reply.title}” added.", "success")
    return redirect(url_for("saved_reply_pages.index"))


@bp.route("/<int:reply_id>", methods=["GET", "POST"])
def edit(reply_id: int):
    reply = db.get_or_404(SavedReply, reply_id)
    form = SavedReplyForm(obj=reply)
    if form.is_submitted():
        if validated(form, reply):
            saved_replies.save(reply, form.title.data.strip(), form.body.data.strip(), current_user)
            audit.record(AuditAction.SAVED_REPLY_SAVED, reply.title, "changed")
            db.session.commit()
            flash(f"Saved reply “{reply.title}” changed.", "success")
            return redirect(url_for("saved_reply_pages.index"))
        status = 422
    else:
        status = 200
    page = render_template(
        "replies/edit.html", reply=reply, form=form, placeholders=PLACEHOLDER_HINT
    )
    return page, status


@bp.post("/<int:reply_id>/delete")
def delete(reply_id: int):
    reply = db.get_or_404(SavedReply, reply_id)
    if EmptyForm().validate_on_submit():
        audit.record(AuditAction.SAVED_REPLY_DELETED, reply.title, "")
        db.session.delete(reply)
        db.session.commit()
        flash(f"Saved reply “{reply.title}” deleted.", "success")
    return redirect(url_for("saved_reply_pages.index"))


def validated(form: SavedReplyForm, reply: SavedReply | None) -> bool:
    if not form.validate_on_submit():
        return False
    if saved_replies.title_taken(form.title.data.strip(), reply):
        form.title.errors.append("Another saved reply has this title.")
        return False
    return True
