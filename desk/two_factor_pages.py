"""One's own two-factor login: set it up with a QR code, recovery codes, turn it off (the
rules: desk/two_factor.py; the login's code step: desk/auth.py)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from desk import two_factor
from desk.auth import recheck_wait
from desk.extensions import db
from desk.permissions import require_login
from forms import EmptyForm, PasswordCheckForm, TwoFactorConfirmForm, TwoFactorDisableForm

bp = Blueprint("two_factor", __name__, url_prefix="/account/two-factor")
bp.before_request(require_login)


def page(status: int = 200, **forms):
    user = current_user._get_current_object()
    context = {
        "user": user,
        "required": two_factor.required_for(user),
        "confirm_form": forms.get("confirm_form") or TwoFactorConfirmForm(formdata=None),
        "disable_form": forms.get("disable_form") or TwoFactorDisableForm(formdata=None),
        "codes_form": forms.get("codes_form") or PasswordCheckForm(formdata=None),
    }
    if user.two_factor:
        context["recovery_left"] = two_factor.recovery_codes_left(user)
    elif user.totp_secret:
        uri = two_factor.provisioning_uri(user, request.host)
        context["qr"] = two_factor.qr_svg(uri)
        context["secret"] = two_factor.grouped(user.totp_secret)
    return render_template("auth/two_factor.html", **context), status


@bp.get("/")
def index():
    """Where two-factor stands for one's own account, and what can be done next."""
    return page()


@bp.post("/setup")
def setup():
    """A new secret, shown as a QR code on the next page until a code confirms it."""
    if EmptyForm().validate_on_submit():
        try:
            two_factor.begin_setup(current_user._get_current_object())
        except two_factor.Refused as refusal:
            flash(str(refusal), "error")
        else:
            db.session.commit()
    return redirect(url_for("two_factor.index"))


@bp.post("/confirm")
def confirm():
    """The first code from the app turns two-factor on; the recovery codes are shown once."""
    form = TwoFactorConfirmForm()
    if form.validate_on_submit():
        try:
            codes = two_factor.confirm_setup(current_user._get_current_object(), form.code.data)
        except two_factor.Refused as refusal:
            form.code.errors.append(str(refusal))
        else:
            db.session.commit()
            return render_template("auth/recovery_codes.html", codes=codes, new_setup=True)
    return page(422, confirm_form=form)


@bp.post("/cancel")
def cancel():
    if EmptyForm().validate_on_submit():
        two_factor.cancel_setup(current_user._get_current_object())
        db.session.commit()
        flash("Two-factor setup cancelled. Nothing changed at login.", "info")
    return redirect(url_for("auth.account"))


@bp.post("/recovery-codes")
def recovery_codes():
    """New recovery codes for the password; the old ones stop working."""
    form = PasswordCheckForm()
    user = current_user._get_current_object()
    if form.validate_on_submit() and user.two_factor:
        if wait := recheck_wait(user):
            form.password.errors.append(wait)
        elif user.check_password(form.password.data):
            codes = two_factor.issue_recovery_codes(user)
            db.session.commit()
            return render_template("auth/recovery_codes.html", codes=codes, new_setup=False)
        else:
            form.password.errors.append("Wrong password.")
    return page(422, codes_form=form)


@bp.post("/disable")
def disable():
    form = TwoFactorDisableForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            if wait := recheck_wait(user):
                raise two_factor.Refused(wait)
            two_factor.disable(user, form.password.data, form.code.data)
        except two_factor.Refused as refusal:
            form.form_errors.append(str(refusal))
        else:
            db.session.commit()
            flash("Two-factor is off. The password alone now logs you in.", "success")
            return redirect(url_for("auth.account"))
    return page(422, disable_form=form)
