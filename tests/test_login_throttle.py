"""The login throttle: guessing is slowed to about one try a minute, nobody is locked out for
good, every worker sees the same counts, and names that exist look like names that do not."""

from __future__ import annotations

import re
import threading

import pytest
import sqlalchemy as sa
from conftest import ADMIN_PASSWORD, TECH_PASSWORD, AuthActions

from app import create_app
from desk.logins import FAILED_MESSAGE, WAIT_MESSAGE
from models import LoginThrottle, ThrottleScope

WAITING = re.compile(re.escape(WAIT_MESSAGE).replace(r"\{seconds\}", r"(\d+)"))


def outcome(response) -> str | int:
    """What the person at the login form sees: in, wrong password, or a wait of N seconds."""
    if response.status_code == 302:
        return "in"
    page = response.get_data(as_text=True)
    if (waiting := WAITING.search(page)) is not None:
        return int(waiting.group(1))
    assert FAILED_MESSAGE in page, page
    return "wrong"


def attempts(auth, username: str, times: int, password: str = "wrong-password") -> list:
    return [outcome(auth.login(username, password)) for _ in range(times)]


def test_after_five_failures_the_next_attempt_waits_even_with_the_right_password(
    auth, admin, clock
):
    assert attempts(auth, "admin", 5) == ["wrong"] * 5
    assert outcome(auth.login("admin", ADMIN_PASSWORD)) == 1
    clock.advance(seconds=1)
    assert outcome(auth.login("admin", ADMIN_PASSWORD)) == "in"


def test_waits_double_up_to_a_minute_so_the_right_password_always_gets_in(auth, admin, clock):
    attempts(auth, "admin", 5)
    waits = []
    for _ in range(9):
        waits.append(outcome(auth.login("admin", "wrong-password")))
        clock.advance(seconds=waits[-1])
        assert outcome(auth.login("admin", "wrong-password")) == "wrong"
    # Each wrong guess after the free ones doubles the wait, never past a minute.
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    clock.advance(seconds=60)
    assert outcome(auth.login("admin", ADMIN_PASSWORD)) == "in"


def test_a_success_starts_the_count_again(auth, admin, clock):
    attempts(auth, "admin", 4)
    assert outcome(auth.login()) == "in"
    auth.logout()
    assert attempts(auth, "admin", 5) == ["wrong"] * 5


def test_failures_are_forgotten_after_a_quiet_quarter_hour(auth, admin, clock):
    attempts(auth, "admin", 5)
    clock.advance(minutes=15, seconds=1)
    assert attempts(auth, "admin", 5) == ["wrong"] * 5


def test_one_throttled_username_leaves_the_others_alone(auth, admin, tech, clock):
    attempts(auth, "admin", 6)
    assert outcome(auth.login("tess", TECH_PASSWORD)) == "in"


def test_an_unknown_username_is_throttled_exactly_like_a_known_one_by_every_worker(
    app_config, app, admin, clock, db
):
    """Two app instances stand for two gunicorn workers: the counts live in the database."""
    other_worker = create_app(app_config | {"CLOCK": app.config["CLOCK"]})
    first, second = AuthActions(app.test_client()), AuthActions(other_worker.test_client())
    for name in ("admin", "ghost"):
        seen = attempts(first, name, 3) + attempts(second, name, 2)
        seen += [outcome(first.login(name, "wrong-password"))]
        assert seen == ["wrong"] * 5 + [1], name
        assert outcome(second.login(name, "wrong-password")) == 1
    with other_worker.app_context():
        db.engine.dispose()  # its connections, not the fixture's


def test_one_address_is_slowed_after_twenty_failures_whatever_the_names(app, admin, clock):
    spray = AuthActions(app.test_client())
    spray.client.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    seen = [outcome(spray.login(f"name{n}", "wrong-password")) for n in range(20)]
    assert seen == ["wrong"] * 20
    assert outcome(spray.login("admin", ADMIN_PASSWORD)) == 1  # from that address, even so
    elsewhere = AuthActions(app.test_client())
    elsewhere.client.environ_base["REMOTE_ADDR"] = "198.51.100.4"
    assert outcome(elsewhere.login("admin", ADMIN_PASSWORD)) == "in"


def test_a_burst_sent_at_once_gets_no_more_password_checks_than_the_free_ones(app, tech, clock):
    """Guesses sent in parallel must not all read "not yet throttled" before any counts."""
    attempts(AuthActions(app.test_client()), "tess", 3)
    barrier = threading.Barrier(10)
    seen = []

    def guess(password: str) -> None:
        client = AuthActions(app.test_client())
        barrier.wait()
        seen.append(outcome(client.login("tess", password)))

    threads = [threading.Thread(target=guess, args=("wrong-guess",)) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(seen, key=str) == [1] * 8 + ["wrong"] * 2  # two free attempts were left
    assert outcome(AuthActions(app.test_client()).login("tess", TECH_PASSWORD)) == 1


def test_admins_see_and_clear_throttles_on_the_users_pages(admin_client, app, tech, db, clock):
    guesser = AuthActions(app.test_client())
    attempts(guesser, "tess", 6)
    attempts(guesser, "ghost", 6)
    users = admin_client.get("/users/").get_data(as_text=True)
    assert re.search(r"Username <code><bdi>ghost</bdi></code>", users)
    assert re.search(r"Username <code><bdi>tess</bdi></code>", users)
    page = admin_client.get(f"/users/{tech.id}").get_data(as_text=True)
    assert "5 failed login attempts" in page or "6 failed login attempts" in page
    admin_client.post(f"/users/{tech.id}/clear-throttle")
    admin_client.post("/users/throttles/username/ghost/clear")
    usernames = sa.select(sa.func.count()).where(LoginThrottle.scope == ThrottleScope.USERNAME)
    assert db.session.scalar(usernames) == 0
    assert outcome(guesser.login("tess", TECH_PASSWORD)) == "in"


def test_an_admin_password_reset_clears_the_throttle(admin_client, app, tech, db, clock):
    attempts(AuthActions(app.test_client()), "tess", 6)
    admin_client.post(f"/users/{tech.id}/password", data={"password": "temp-pass-9"})
    assert outcome(AuthActions(app.test_client()).login("tess", "temp-pass-9")) == "in"


@pytest.mark.parametrize("args", [["unlock", "ADMIN"], ["unlock", "--address", "127.0.0.1"]])
def test_the_command_line_unlocks_a_username_or_an_address(app, auth, admin, clock, args):
    attempts(auth, "admin", 21)
    if args[1] == "ADMIN":  # the address is throttled too by now: clear both to get in
        app.test_cli_runner().invoke(args=["unlock", "--address", "127.0.0.1"])
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0 and "Cleared" in result.output
    if args[1] == "ADMIN":
        assert outcome(auth.login("admin", ADMIN_PASSWORD)) == "in"
    else:
        assert outcome(auth.login("admin", ADMIN_PASSWORD)) == 1  # the username still waits


def test_the_command_line_sets_a_password_to_get_back_in(app, auth, admin, clock):
    attempts(auth, "admin", 8)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["set-password", "admin"], input="back-in-again\nback-in-again\n")
    assert result.exit_code == 0, result.output
    assert "back-in-again" not in result.output  # never echoed
    assert outcome(auth.login("admin", "back-in-again")) == "in"
    short = runner.invoke(args=["set-password", "admin"], input="short\nshort\n")
    assert short.exit_code != 0 and "at least 8 characters" in short.output
    unknown = runner.invoke(args=["set-password", "nobody"], input="long-enough\nlong-enough\n")
    assert unknown.exit_code != 0 and "no user named 'nobody'" in unknown.output
