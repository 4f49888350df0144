"""Two-factor login: set up from a QR code drawn here, a code after the password, recovery
codes, no replayed code, guessing throttled, and admins made to use it when the setting says so.
"""

from __future__ import annotations

import re

import pyotp
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from conftest import ADMIN_PASSWORD, TECH_PASSWORD, AuthActions

from desk import runtime_settings
from models import AuditAction, AuditEvent, RecoveryCode, User

SECRET = re.compile(r'data-role="totp-secret">([A-Z2-7 ]+)<')
CODES = re.compile(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>")


def page(response) -> str:
    return response.get_data(as_text=True)


def set_up(client, clock) -> tuple[pyotp.TOTP, list[str]]:
    """Turn two-factor on through the pages, as a person with an authenticator app would."""
    assert client.post("/account/two-factor/setup").status_code == 302
    shown = page(client.get("/account/two-factor/"))
    secret = SECRET.search(shown).group(1).replace(" ", "")
    totp = pyotp.TOTP(secret)
    response = client.post("/account/two-factor/confirm", data={"code": totp.at(clock())})
    assert response.status_code == 200, page(response)
    codes = CODES.findall(page(response))
    assert len(codes) == 10
    return totp, codes


def logged_in(client) -> bool:
    return client.get("/").status_code == 200


def code_step(client, code: str):
    return client.post("/login/code", data={"code": code})


@pytest.fixture
def tech_with_two_factor(app, tech, clock, fresh_g_per_request):
    client = app.test_client()
    assert AuthActions(client).login("tess", TECH_PASSWORD).status_code == 302
    totp, codes = set_up(client, clock)
    clock.advance(seconds=30)  # the code used to confirm may not open the next login
    return totp, codes


def test_the_setup_page_draws_the_qr_code_itself_and_names_no_other_site(tech_client, clock):
    tech_client.post("/account/two-factor/setup")
    shown = page(tech_client.get("/account/two-factor/"))
    svg = re.search(r'<svg viewBox="[^"]+" class="qr-code">.*?</svg>', shown, re.S)
    assert svg and "<path" in svg.group(0)
    assert "http" not in svg.group(0)
    assert not re.search(r'<img[^>]+src="https?://', shown)
    assert SECRET.search(shown)


def test_a_wrong_first_code_leaves_two_factor_off(tech_client, tech, db, clock):
    tech_client.post("/account/two-factor/setup")
    response = tech_client.post("/account/two-factor/confirm", data={"code": "000000"})
    assert response.status_code == 422
    assert "That code is not right" in page(response)
    db.session.refresh(tech)
    assert not tech.two_factor


def test_a_setup_left_half_way_does_not_ask_for_codes(app, tech, clock, fresh_g_per_request):
    client = app.test_client()
    AuthActions(client).login("tess", TECH_PASSWORD)
    client.post("/account/two-factor/setup")
    client.post("/logout")
    assert AuthActions(client).login("tess", TECH_PASSWORD).headers["Location"] == "/"


def test_after_setup_the_password_alone_opens_nothing_and_the_code_does(
    app, tech_with_two_factor, clock
):
    totp, _ = tech_with_two_factor
    client = app.test_client()
    response = AuthActions(client).login("tess", TECH_PASSWORD)
    assert response.headers["Location"] == "/login/code"
    assert not logged_in(client)
    assert code_step(client, totp.at(clock())).status_code == 302
    assert logged_in(client)


def test_a_wrong_code_says_so_and_a_used_code_never_opens_a_second_login(
    app, tech_with_two_factor, clock
):
    totp, _ = tech_with_two_factor
    first, second = app.test_client(), app.test_client()
    for client in (first, second):
        AuthActions(client).login("tess", TECH_PASSWORD)
    wrong = code_step(first, "123456" if totp.at(clock()) != "123456" else "654321")
    assert wrong.status_code == 422
    assert "That code is not right" in page(wrong)
    code = totp.at(clock())
    assert code_step(first, code).status_code == 302
    replay = code_step(second, code)
    assert replay.status_code == 422
    assert not logged_in(second)


def test_a_code_of_the_step_before_still_counts_but_not_two_steps_old(
    app, tech_with_two_factor, clock
):
    totp, _ = tech_with_two_factor
    client = app.test_client()
    AuthActions(client).login("tess", TECH_PASSWORD)
    old = totp.at(clock())
    clock.advance(seconds=65)
    assert code_step(client, old).status_code == 422
    clock.advance(seconds=-35)
    assert code_step(client, old).status_code == 302


def test_a_recovery_code_logs_in_once(app, tech_with_two_factor, db, tech, clock):
    _, codes = tech_with_two_factor
    client = app.test_client()
    AuthActions(client).login("tess", TECH_PASSWORD)
    assert code_step(client, codes[0].upper()).status_code == 302
    assert "9 recovery codes left" in page(client.get("/account"))
    client.post("/logout")
    AuthActions(client).login("tess", TECH_PASSWORD)
    assert code_step(client, codes[0]).status_code == 422
    used = db.session.scalars(
        sa.select(AuditEvent.detail).where(AuditEvent.action == AuditAction.RECOVERY_CODE_USED)
    ).all()
    assert used == ["9 left"]


def test_new_recovery_codes_retire_the_old_ones(app, tech_with_two_factor, clock, db, tech):
    totp, old_codes = tech_with_two_factor
    client = app.test_client()
    AuthActions(client).login("tess", TECH_PASSWORD)
    code_step(client, totp.at(clock()))
    refused = client.post("/account/two-factor/recovery-codes", data={"password": "nope"})
    assert refused.status_code == 422 and "Wrong password" in page(refused)
    response = client.post("/account/two-factor/recovery-codes", data={"password": TECH_PASSWORD})
    new_codes = CODES.findall(page(response))
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    client.post("/logout")
    AuthActions(client).login("tess", TECH_PASSWORD)
    assert code_step(client, old_codes[1]).status_code == 422
    assert code_step(client, new_codes[1]).status_code == 302
    stored = db.session.scalars(sa.select(RecoveryCode.code_hash)).all()
    assert not any(code.replace("-", "") in stored for code in new_codes)


def test_guessing_codes_is_throttled_like_guessing_passwords(app, tech_with_two_factor, clock):
    totp, _ = tech_with_two_factor
    client = app.test_client()
    AuthActions(client).login("tess", TECH_PASSWORD)
    wrong = "111111" if totp.at(clock()) != "111111" else "222222"
    # The password counted once; four more wrong codes are free, the next must wait.
    for _ in range(4):
        assert "That code is not right" in page(code_step(client, wrong))
    waiting = code_step(client, totp.at(clock()))
    assert "Too many failed attempts. Wait" in page(waiting)
    assert not logged_in(client)


def test_five_wrong_codes_send_the_login_back_to_the_password(app, tech_with_two_factor, clock):
    totp, _ = tech_with_two_factor
    client = app.test_client()
    AuthActions(client).login("tess", TECH_PASSWORD)
    wrong = "111111" if totp.at(clock()) != "111111" else "222222"
    for _ in range(4):
        code_step(client, wrong)
        clock.advance(seconds=61)  # past every wait, so only the tries count
    assert code_step(client, wrong).headers["Location"] == "/login"
    assert code_step(client, totp.at(clock())).headers["Location"] == "/login"


def test_the_code_must_follow_the_password_within_five_minutes(app, tech_with_two_factor, clock):
    totp, _ = tech_with_two_factor
    client = app.test_client()
    AuthActions(client).login("tess", TECH_PASSWORD)
    clock.advance(minutes=5, seconds=1)
    response = code_step(client, totp.at(clock()))
    assert response.headers["Location"] == "/login"
    assert "within 5 minutes" in page(client.get("/login"))


@pytest.mark.parametrize("code", ["12a456", "\x00", "x" * 33, "", "１２３４５６"])
def test_bad_codes_get_a_clear_answer_never_a_500(app, tech_with_two_factor, code):
    client = app.test_client()
    AuthActions(client).login("tess", TECH_PASSWORD)
    response = code_step(client, code)
    assert response.status_code in (200, 422)
    assert not logged_in(client)


def test_the_code_page_without_a_password_first_goes_back_to_the_login(client):
    assert client.get("/login/code").headers["Location"] == "/login"


def test_turning_it_off_needs_the_password_and_a_code(app, tech_with_two_factor, clock, db, tech):
    totp, _ = tech_with_two_factor
    client = app.test_client()
    AuthActions(client).login("tess", TECH_PASSWORD)
    code_step(client, totp.at(clock()))
    clock.advance(seconds=30)
    refused = client.post(
        "/account/two-factor/disable", data={"password": "wrong", "code": totp.at(clock())}
    )
    assert refused.status_code == 422 and "Wrong password" in page(refused)
    done = client.post(
        "/account/two-factor/disable", data={"password": TECH_PASSWORD, "code": totp.at(clock())}
    )
    assert done.status_code == 302
    db.session.refresh(tech)
    assert not tech.two_factor and tech.totp_secret is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode)) == 0


def test_an_admin_resets_a_lost_phone_and_the_user_is_signed_out(
    app, admin_client, tech, tech_with_two_factor, clock, db
):
    totp, _ = tech_with_two_factor
    tess = app.test_client()
    AuthActions(tess).login("tess", TECH_PASSWORD)
    code_step(tess, totp.at(clock()))
    assert logged_in(tess)
    assert "Two-factor login: on since" in page(admin_client.get(f"/users/{tech.id}"))
    admin_client.post(f"/users/{tech.id}/reset-two-factor")
    assert not logged_in(tess)
    assert AuthActions(tess).login("tess", TECH_PASSWORD).headers["Location"] == "/"
    actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert AuditAction.TWO_FACTOR_RESET in actions


def test_a_tech_cannot_reset_someone_elses_two_factor(tech_client, admin):
    assert tech_client.post(f"/users/{admin.id}/reset-two-factor").status_code == 403


def test_the_command_line_resets_two_factor(app, tech, tech_with_two_factor, db):
    result = CliRunner().invoke(app.cli, ["reset-two-factor", "TESS"], obj=None)
    assert result.exit_code == 0, result.output
    assert "Two-factor is off for tess" in result.output
    db.session.refresh(tech)
    assert not tech.two_factor
    again = CliRunner().invoke(app.cli, ["reset-two-factor", "tess"])
    assert again.exit_code != 0 and "no two-factor login to reset" in again.output


def test_when_required_an_admin_without_it_can_only_set_it_up(admin_client, db, admin, clock):
    runtime_settings.set_int("admin_two_factor", 1, admin.id)
    db.session.commit()
    response = admin_client.get("/tickets/")
    assert response.headers["Location"] == "/account/two-factor/"
    shown = page(admin_client.get("/account/two-factor/"))
    assert "Admins must use two-factor login" in shown
    totp, _ = set_up(admin_client, clock)
    assert admin_client.get("/tickets/").status_code == 200
    assert "Turn off two-factor" not in page(admin_client.get("/account/two-factor/"))
    clock.advance(seconds=30)
    refused = admin_client.post(
        "/account/two-factor/disable", data={"password": ADMIN_PASSWORD, "code": totp.at(clock())}
    )
    assert "required for admins" in page(refused)
    db.session.refresh(admin)
    assert admin.two_factor


def test_when_required_techs_still_choose_for_themselves(tech_client, db, admin):
    runtime_settings.set_int("admin_two_factor", 1, admin.id)
    db.session.commit()
    assert tech_client.get("/tickets/").status_code == 200


def test_admins_switch_the_requirement_on_the_settings_page(admin_client, db):
    shown = page(admin_client.get("/settings/"))
    assert 'type="checkbox"' in shown and "Admins must use two-factor login" in shown
    form = {
        key: setting.default if not setting.switch else "y"
        for key, setting in runtime_settings.SETTINGS.items()
        if not setting.switch or setting.default
    }
    admin_client.post("/settings/", data=form | {"admin_two_factor": "y"})
    assert runtime_settings.get_int("admin_two_factor") == 1
    line = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == AuditAction.SETTING_CHANGED)
    )
    assert line.detail == "off → on"
    # The admin who switched it on has no two-factor yet: they are the first sent to set it up.
    assert admin_client.get("/settings/").headers["Location"] == "/account/two-factor/"


def test_the_secret_and_codes_never_reach_the_audit_log(app, tech_with_two_factor, db, tech):
    _, codes = tech_with_two_factor
    db.session.refresh(tech)
    text = " ".join(f"{e.target} {e.detail}" for e in db.session.scalars(sa.select(AuditEvent)))
    assert tech.totp_secret not in text
    assert not any(code in text for code in codes)
    assert db.session.get(User, tech.id).totp_enabled_at is not None


def test_the_audit_page_and_its_csv_show_the_two_factor_lines(
    app, admin_client, tech_with_two_factor
):
    _, codes = tech_with_two_factor
    tess = app.test_client()
    AuthActions(tess).login("tess", TECH_PASSWORD)
    code_step(tess, codes[0])
    shown = page(admin_client.get("/audit/"))
    for label in ("Two-factor turned on", "Recovery codes made", "Recovery code used"):
        assert label in shown
    csv = page(admin_client.get("/audit/export.csv"))
    assert "Recovery code used" in csv and "9 left" in csv
