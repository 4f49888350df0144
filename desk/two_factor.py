"""Two-factor login: a TOTP code from an authenticator app after the password, or a one-time
recovery code instead.

Setting up keeps a new secret on the account at once, but the login asks for codes only after
a first code has confirmed it: a setup left half-way never locks anyone out. A code is good in
its 30-second step and the one before and after (phones drift); a step once used is never
accepted again, so a code seen over a shoulder cannot be replayed. The login's guesses are
throttled with the password's (desk/logins.py). The QR code is drawn here, as SVG, so the
secret never leaves the dashboard.

Admins can be made to use it (the `admin_two_factor` run-time setting); an admin can reset a
user's two-factor (a lost phone), and `flask --app app reset-two-factor USER` always can.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime

import pyotp
import segno
import sqlalchemy as sa
from markupsafe import Markup

from desk import audit, clock, runtime_settings, sessions
from desk.extensions import db
from models import AuditAction, RecoveryCode, User

ISSUER = "Support Desk"
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
RECOVERY_LENGTH = 10
DRIFT_STEPS = 1  # codes of the step before and after still count


class Refused(Exception):
    """A two-factor change that is not allowed, with words for the person who asked."""


def required_for(user: User) -> bool:
    """Whether this user may not work without two-factor (admins, when the setting says so)."""
    return user.is_admin and bool(runtime_settings.get_int("admin_two_factor"))


def begin_setup(user: User) -> str:
    """A new secret for the user's authenticator app, kept until a code confirms it."""
    if user.two_factor:
        raise Refused("Two-factor is already on. Turn it off first to use another phone.")
    user.totp_secret = pyotp.random_base32()
    user.totp_last_step = None
    return user.totp_secret


def provisioning_uri(user: User, host: str) -> str:
    """The otpauth:// link an authenticator app reads from the QR code."""
    return pyotp.TOTP(user.totp_secret).provisioning_uri(
        name=f"{user.username}@{host}", issuer_name=ISSUER
    )


def qr_svg(uri: str) -> Markup:
    """The QR code as inline SVG, drawn on the server: no image service ever sees the secret."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=4, border=4, dark="#000", light="#fff", svgclass="qr-code", omitsize=True
    )
    return Markup(svg)  # noqa: S704 - segno's own markup, with nothing user-written in it


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def confirm_setup(user: User, code: str) -> list[str]:
    """Turn two-factor on with a first code from the app; the new recovery codes (shown once)."""
    if user.two_factor or not user.totp_secret:
        raise Refused("Start the setup again: there is no new secret waiting for a code.")
    if not _accept_totp(user, code):
        raise Refused("That code is not right. Check the phone's clock and type the newest code.")
    user.totp_enabled_at = clock.now()
    audit.record(AuditAction.TWO_FACTOR_ENABLED, user.username)
    return issue_recovery_codes(user)


def cancel_setup(user: User) -> None:
    if not user.two_factor:
        user.totp_secret = None


def issue_recovery_codes(user: User) -> list[str]:
    """New recovery codes; the old ones stop working. Only their hashes are stored."""
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))]
    while len(codes) < RECOVERY_CODES:
        code = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        if code not in codes:
            codes.append(code)
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(code)) for code in codes)
    audit.record(AuditAction.RECOVERY_CODES_ISSUED, user.username, f"{len(codes)} codes")
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


def verify(user: User, code: str) -> bool:
    """A login's second step: a current code from the app, or an unused recovery code."""
    if not user.two_factor:
        return False
    digits = re.sub(r"[\s-]", "", code)
    if digits.isascii() and digits.isdigit():
        return _accept_totp(user, digits)
    return _use_recovery_code(user, digits.lower())


def disable(user: User, password: str, code: str) -> None:
    """Turn one's own two-factor off: the password and a code, so a borrowed session can't."""
    if required_for(user):
        raise Refused("Two-factor is required for admins here. An admin setting can change that.")
    if not user.check_password(password):
        raise Refused("Wrong password.")
    if not verify(user, code):
        raise Refused("That code is not right.")
    _clear(user)
    audit.record(AuditAction.TWO_FACTOR_DISABLED, user.username)


def reset(user: User) -> None:
    """An admin (or the command line) turns off someone's two-factor: their phone is lost.

    Their browsers are signed out too, since the lost phone may be one of them.
    """
    _clear(user)
    sessions.end_all(user)
    audit.record(AuditAction.TWO_FACTOR_RESET, user.username)


def _clear(user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def _accept_totp(user: User, code: str) -> bool:
    """Whether `code` is the app's code for now (give or take a step), never used before.

    The step is claimed with one conditional UPDATE, so the same code sent twice at once (or
    replayed later) opens at most one login.
    """
    digits = re.sub(r"\s", "", code)
    if not (len(digits) == 6 and digits.isascii() and digits.isdigit()) or not user.totp_secret:
        return False
    totp = pyotp.TOTP(user.totp_secret)
    now_step = totp.timecode(clock.now())
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), digits):
            return _claim_step(user, step)
    return False


def _claim_step(user: User, step: int) -> bool:
    result = db.session.execute(
        sa.update(User)
        .where(
            User.id == user.id,
            sa.or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(user)
    return result.rowcount == 1


def _use_recovery_code(user: User, code: str) -> bool:
    if len(code) != RECOVERY_LENGTH:
        return False
    now: datetime = clock.now()
    result = db.session.execute(
        sa.update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    audit.record(
        AuditAction.RECOVERY_CODE_USED,
        user.username,
        f"{recovery_codes_left(user)} left",
        actor=user,
    )
    return True


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()
