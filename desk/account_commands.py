"""`flask --app app unlock USER`, `set-password USER` and `reset-two-factor USER`: the way back
in when nobody can log in to the dashboard (a throttle, a forgotten password, a lost phone)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from desk import accounts, logins, two_factor
from desk.extensions import db
from forms import MIN_PASSWORD
from models import ThrottleScope, User


def _user(username: str) -> User:
    user = logins.find_user(username)
    if user is None:
        raise click.ClickException(f"no user named {username!r}")
    return user


@click.command("unlock")
@click.argument("username", required=False)
@click.option("--address", help="Also forget the failed logins of this client address.")
@with_appcontext
def unlock_command(username: str | None, address: str | None) -> None:
    """Forget the failed logins of USERNAME (and of --address), so the next try needs no wait."""
    if not username and not address:
        raise click.UsageError("give a USERNAME, an --address, or both")
    if username:
        logins.clear(ThrottleScope.USERNAME, logins.username_key(username))
    if address:
        logins.clear(ThrottleScope.ADDRESS, address)
    db.session.commit()
    click.echo(f"Cleared the failed logins of {' and '.join(filter(None, [username, address]))}.")


@click.command("set-password")
@click.argument("username")
@click.password_option(prompt="New password", confirmation_prompt="Repeat it")
@click.option("--temporary", is_flag=True, help="Make the user choose a new one at next login.")
@with_appcontext
def set_password_command(username: str, password: str, temporary: bool) -> None:
    """Set USERNAME's password (asked for, never echoed) and clear their failed logins."""
    if len(password) < MIN_PASSWORD:
        raise click.ClickException(f"use at least {MIN_PASSWORD} characters")
    user = _user(username)
    accounts.reset_password(user, password, by=None)
    user.must_change_password = temporary
    db.session.commit()
    click.echo(f"Password set for {user.username}; their sessions have ended.")


@click.command("reset-two-factor")
@click.argument("username")
@with_appcontext
def reset_two_factor_command(username: str) -> None:
    """Turn off USERNAME's two-factor login (a lost phone); their sessions end."""
    user = _user(username)
    if not user.two_factor and not user.totp_secret:
        raise click.ClickException(f"{user.username} has no two-factor login to reset")
    two_factor.reset(user)
    db.session.commit()
    click.echo(f"Two-factor is off for {user.username}; their sessions have ended.")
