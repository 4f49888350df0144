"""Acknowledge, Take it and Resolve pressed at the same moment: one press wins, on every page.

A live dashboard (werkzeug, threaded) takes the presses over HTTP, so two presses really run
in two request threads against the same database; a barrier releases them together, and each
race is run on many tickets so that a press that can interleave would show.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
import requests
from bot_harness import ANN, BOB

from user_text import isolate

RACES = 20
DISPLAY = {"ann": "Ann", "bob": "Bob", "cid": "Cid"}
# How a sentence of ours names them: isolated, so a right-to-left name runs on no further.
NAMED = {name: isolate(shown) for name, shown in DISPLAY.items()}


def file_tickets(live_dashboard, count: int) -> list[int]:
    """`count` new tickets, filed the way the bot files them."""
    ids = []
    for message_id in range(1, count + 1):
        response = live_dashboard.api(
            "POST",
            "/support_message",
            {
                "chat_id": 1001,
                "message_id": message_id,
                "user_id": 555,
                "first_name": "Alice",
                "text": f"The VPN is down ({message_id})",
            },
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


def at_once(*presses: Callable[[], Any]) -> list[Any]:
    """Run the presses in their own threads, released together; their results, in order."""
    barrier = threading.Barrier(len(presses))
    results: list[Any] = [None] * len(presses)

    def run(index: int, press: Callable[[], Any]) -> None:
        barrier.wait()
        results[index] = press()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(presses)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def press(live_dashboard, ticket_id: int, action: str, telegram_user_id: int):
    """What the bot sends when a tech presses a button under a notification."""
    return lambda: live_dashboard.api(
        "POST",
        f"/message/{ticket_id}/action",
        {"action": action, "telegram_user_id": telegram_user_id},
    )


def race(live_dashboard, ticket_id: int, action: str, first: int, second: int):
    """Two presses of one button at once, by two techs or one tech twice: (won, refused)."""
    return outcome(
        at_once(
            press(live_dashboard, ticket_id, action, first),
            press(live_dashboard, ticket_id, action, second),
        )
    )


def outcome(responses: list[requests.Response]) -> tuple[requests.Response, requests.Response]:
    """The winning and the refused answer of a race; anything else (a 500) fails the test."""
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 409], [(r.status_code, r.text) for r in responses]
    won = next(r for r in responses if r.status_code == 200)
    refused = next(r for r in responses if r.status_code == 409)
    return won, refused


def history(live_dashboard, ticket_id: int) -> list[tuple[str, str, str]]:
    """The ticket's audit trail as the detail page lists it: (kind, detail, who)."""
    import sqlalchemy as sa

    from models import TicketEvent

    def read(db) -> list[tuple[str, str, str]]:
        events = db.session.scalars(
            sa.select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket_id)
            .order_by(TicketEvent.id)
        )
        return [(e.kind, e.detail, e.actor.username) for e in events]

    return live_dashboard.query(read)


def status(live_dashboard, ticket_id: int) -> dict[str, Any]:
    response = live_dashboard.api("GET", f"/message/{ticket_id}/status")
    assert response.status_code == 200, response.text
    return response.json()


def username(person: dict[str, Any] | None) -> str | None:
    return person["username"] if person else None


def tech_browser(live_dashboard, name: str) -> requests.Session:
    """A tech logged in to the dashboard (the team's password is password123)."""
    browser = requests.Session()
    response = browser.post(
        f"{live_dashboard.url}/login",
        data={"username": name, "password": "password123"},
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text
    return browser


def click(live_dashboard, browser: requests.Session, path: str, **form: str):
    """Press a button on a ticket page: the POST must redirect back, never fail."""
    return lambda: browser.post(f"{live_dashboard.url}{path}", data=form, allow_redirects=False)


def page_after(live_dashboard, browser: requests.Session, response: requests.Response) -> str:
    """The page the button led back to, with its flash message."""
    assert response.status_code == 302, (response.status_code, response.text[:500])
    return browser.get(f"{live_dashboard.url}{response.headers['Location']}").text


def clicks_at_once(
    live_dashboard, browsers: dict[str, requests.Session], path: str, **form: str
) -> dict[str, str]:
    """Every browser presses the same button at once: the page each was led back to, by name."""
    responses = at_once(*(click(live_dashboard, b, path, **form) for b in browsers.values()))
    return {
        name: page_after(live_dashboard, browsers[name], response)
        for name, response in zip(browsers, responses, strict=True)
    }


def two_techs(live_dashboard) -> dict[str, requests.Session]:
    """Ann and Bob, each logged in in a browser of their own."""
    return {name: tech_browser(live_dashboard, name) for name in ("ann", "bob")}


# ------------------------------------------------------------------------- Acknowledge


def test_two_techs_acknowledging_at_once_one_wins_and_everyone_names_them(live_dashboard, team):
    for ticket_id in file_tickets(live_dashboard, RACES):
        won, refused = race(live_dashboard, ticket_id, "ack", ANN, BOB)
        winner = won.json()["by"]["username"]
        assert refused.json()["error"] == (
            f"Ticket #{ticket_id} was already acknowledged by {NAMED[winner]}."
        )
        # The pages (edited from the winner's answer), the dashboard and the history agree.
        assert username(won.json()["ticket"]["acknowledged_by"]) == winner
        assert username(status(live_dashboard, ticket_id)["acknowledged_by"]) == winner
        assert history(live_dashboard, ticket_id) == [("acknowledged", "", winner)]


def test_a_tech_pressing_acknowledge_twice_at_once_is_recorded_once(live_dashboard, team):
    for ticket_id in file_tickets(live_dashboard, RACES):
        won, refused = race(live_dashboard, ticket_id, "ack", ANN, ANN)
        assert refused.json()["error"] == f"You already acknowledged ticket #{ticket_id}."
        assert history(live_dashboard, ticket_id) == [("acknowledged", "", "ann")]


def test_the_dashboard_shows_who_won_the_acknowledgement(live_dashboard, team):
    [ticket_id] = file_tickets(live_dashboard, 1)
    won, _ = race(live_dashboard, ticket_id, "ack", ANN, BOB)
    winner = DISPLAY[won.json()["by"]["username"]]
    loser = "Bob" if winner == "Ann" else "Ann"
    page = tech_browser(live_dashboard, "cid").get(f"{live_dashboard.url}/tickets/{ticket_id}")
    assert f"by <bdi>{winner}</bdi></dd>" in page.text
    assert f"by <bdi>{loser}</bdi></dd>" not in page.text


# ------------------------------------------------------------------------------ Take it


def test_two_techs_taking_at_once_one_gets_the_ticket(live_dashboard, team):
    for ticket_id in file_tickets(live_dashboard, RACES):
        won, refused = race(live_dashboard, ticket_id, "take", ANN, BOB)
        winner = won.json()["by"]["username"]
        assert refused.json()["error"] == (
            f"Ticket #{ticket_id} is already taken by {NAMED[winner]}."
        )
        ticket = won.json()["ticket"]
        assert (username(ticket["assignee"]), username(ticket["acknowledged_by"])) == (
            winner,
            winner,
        )
        now = status(live_dashboard, ticket_id)
        assert (username(now["assignee"]), now["status"]) == (winner, "in_progress")
        assert history(live_dashboard, ticket_id) == [
            ("acknowledged", "", winner),
            ("assigned", f"to {DISPLAY[winner]}", winner),
            ("status", "open → in_progress", winner),
        ]


def test_a_double_press_of_take_by_one_tech_records_everything_once(live_dashboard, team):
    for ticket_id in file_tickets(live_dashboard, RACES):
        _, refused = race(live_dashboard, ticket_id, "take", BOB, BOB)
        assert refused.json()["error"] == f"Ticket #{ticket_id} is already yours."
        assert history(live_dashboard, ticket_id) == [
            ("acknowledged", "", "bob"),
            ("assigned", "to Bob", "bob"),
            ("status", "open → in_progress", "bob"),
        ]


def test_pressing_take_again_later_changes_nothing(live_dashboard, team):
    [ticket_id] = file_tickets(live_dashboard, 1)
    assert press(live_dashboard, ticket_id, "take", ANN)().status_code == 200
    again = press(live_dashboard, ticket_id, "take", ANN)()
    assert again.status_code == 409
    assert again.json()["error"] == f"Ticket #{ticket_id} is already yours."
    assert [kind for kind, _, _ in history(live_dashboard, ticket_id)] == [
        "acknowledged",
        "assigned",
        "status",
    ]


def test_acknowledge_and_take_at_once_leave_one_consistent_story(live_dashboard, team):
    """Ann acknowledges while Bob takes: whoever is first, the record names the same people."""
    for ticket_id in file_tickets(live_dashboard, RACES):
        ack, take = at_once(
            press(live_dashboard, ticket_id, "ack", ANN),
            press(live_dashboard, ticket_id, "take", BOB),
        )
        assert take.status_code == 200, take.text  # acknowledging never stops a take
        events = history(live_dashboard, ticket_id)
        now = status(live_dashboard, ticket_id)
        acknowledged = [who for kind, _, who in events if kind == "acknowledged"]
        assert acknowledged == [username(now["acknowledged_by"])]
        assert username(now["assignee"]) == "bob"
        if ack.status_code == 200:
            assert acknowledged == ["ann"]
        else:
            assert ack.json()["error"] == f"Ticket #{ticket_id} is already taken by {NAMED['bob']}."
            assert acknowledged == ["bob"]


# ------------------------------------------------------------------------------ Resolve


@pytest.mark.parametrize("second", [BOB, ANN], ids=["two techs", "one tech twice"])
def test_resolving_at_once_resolves_once(live_dashboard, team, second):
    for ticket_id in file_tickets(live_dashboard, RACES):
        won, refused = race(live_dashboard, ticket_id, "resolve", ANN, second)
        winner = won.json()["by"]["username"]
        assert refused.json()["error"] == f"Ticket #{ticket_id} is already resolved."
        assert won.json()["ticket"]["status"] == "resolved"
        resolutions = [
            (detail, who)
            for kind, detail, who in history(live_dashboard, ticket_id)
            if kind == "status"
        ]
        assert resolutions == [("open → resolved", winner)]


# ------------------------------------------------------------------ the dashboard's buttons


def test_two_techs_clicking_assign_to_me_at_once_one_gets_it(live_dashboard, team):
    techs = two_techs(live_dashboard)
    for ticket_id in file_tickets(live_dashboard, RACES):
        pages = clicks_at_once(live_dashboard, techs, f"/tickets/{ticket_id}/take")
        winner = username(status(live_dashboard, ticket_id)["assignee"])
        loser = "bob" if winner == "ann" else "ann"
        assert f"Ticket #{ticket_id} is yours." in pages[winner]
        assert f"Ticket #{ticket_id} is already taken by {NAMED[winner]}." in pages[loser]
        assert [kind for kind, _, _ in history(live_dashboard, ticket_id)] == [
            "acknowledged",
            "assigned",
            "status",
        ]


def test_a_double_click_on_assign_to_me_records_once(live_dashboard, team):
    cid = tech_browser(live_dashboard, "cid")
    for ticket_id in file_tickets(live_dashboard, RACES):
        path = f"/tickets/{ticket_id}/take"
        clicks = at_once(click(live_dashboard, cid, path), click(live_dashboard, cid, path))
        assert [response.status_code for response in clicks] == [302, 302]
        assert history(live_dashboard, ticket_id) == [
            ("acknowledged", "", "cid"),
            ("assigned", "to Cid", "cid"),
            ("status", "open → in_progress", "cid"),
        ]


def test_the_second_of_two_clicks_at_once_is_told_the_ticket_is_already_yours(live_dashboard, team):
    """Cid on his laptop and his phone: one browser keeps one session cookie, so it would
    show only the flash message of the click answered last."""
    devices = {device: tech_browser(live_dashboard, "cid") for device in ("laptop", "phone")}
    for ticket_id in file_tickets(live_dashboard, RACES):
        pages = clicks_at_once(live_dashboard, devices, f"/tickets/{ticket_id}/take").values()
        assert sum(f"Ticket #{ticket_id} is yours." in page for page in pages) == 1
        assert sum(f"Ticket #{ticket_id} is already yours." in page for page in pages) == 1


@pytest.mark.parametrize(
    ("button", "done", "refused"),
    [
        (
            "acknowledge",
            "Acknowledged: paging has stopped.",
            "{winner} had already acknowledged it.",
        ),
        ("resolve", "Ticket #{ticket} resolved.", "Ticket #{ticket} is already resolved."),
    ],
    ids=["acknowledge", "resolve"],
)
def test_two_techs_clicking_the_same_button_at_once_one_does_it(
    live_dashboard, team, button, done, refused
):
    techs = two_techs(live_dashboard)
    for ticket_id in file_tickets(live_dashboard, RACES):
        pages = clicks_at_once(live_dashboard, techs, f"/tickets/{ticket_id}/{button}")
        [(_, _, winner)] = history(live_dashboard, ticket_id)
        loser = "bob" if winner == "ann" else "ann"
        assert done.format(ticket=ticket_id) in pages[winner]
        assert refused.format(ticket=ticket_id, winner=NAMED[winner]) in pages[loser]


def test_a_telegram_take_and_a_dashboard_assign_to_me_at_once_name_one_owner(live_dashboard, team):
    """Ann presses Take it under her page while Bob clicks Assign to me on the ticket page."""
    bob = tech_browser(live_dashboard, "bob")
    for ticket_id in file_tickets(live_dashboard, RACES):
        telegram, dashboard = at_once(
            press(live_dashboard, ticket_id, "take", ANN),
            click(live_dashboard, bob, f"/tickets/{ticket_id}/take"),
        )
        page = page_after(live_dashboard, bob, dashboard)
        owner = username(status(live_dashboard, ticket_id)["assignee"])
        if telegram.status_code == 200:
            assert owner == "ann" == username(telegram.json()["ticket"]["assignee"])
            assert f"Ticket #{ticket_id} is already taken by {NAMED['ann']}." in page
        else:
            error = telegram.json()["error"]
            assert error == f"Ticket #{ticket_id} is already taken by {NAMED['bob']}."
            assert owner == "bob"
            assert f"Ticket #{ticket_id} is yours." in page
        assert [(kind, who) for kind, _, who in history(live_dashboard, ticket_id)] == [
            ("acknowledged", owner),
            ("assigned", owner),
            ("status", owner),
        ]


def test_an_answer_written_while_a_tech_takes_the_ticket_records_each_change_once(
    live_dashboard, team
):
    cid = tech_browser(live_dashboard, "cid")
    for ticket_id in file_tickets(live_dashboard, RACES):
        take, answer = at_once(
            press(live_dashboard, ticket_id, "take", ANN),
            click(live_dashboard, cid, f"/tickets/{ticket_id}/answer", text="Rebooting it now"),
        )
        assert take.status_code == 200, take.text
        assert answer.status_code == 302, answer.text
        events = history(live_dashboard, ticket_id)
        assert [kind for kind, _, _ in events].count("acknowledged") == 1
        assert [detail for kind, detail, _ in events if kind == "status"] == ["open → in_progress"]
        now = status(live_dashboard, ticket_id)
        assert (username(now["assignee"]), now["status"]) == ("ann", "in_progress")
        assert now["answered_at"] is not None


def test_two_techs_setting_the_same_status_at_once_record_it_once(live_dashboard, team):
    techs = two_techs(live_dashboard)
    for ticket_id in file_tickets(live_dashboard, RACES):
        path = f"/tickets/{ticket_id}/status"
        pages = clicks_at_once(live_dashboard, techs, path, status="in_progress").values()
        changes = [
            (detail, who)
            for kind, detail, who in history(live_dashboard, ticket_id)
            if kind == "status"
        ]
        assert len(changes) == 1 and changes[0][0] == "open → in_progress"
        winner = changes[0][1]
        assert sum("Status set to In progress." in page for page in pages) == 1
        assert (
            sum(
                f"Ticket #{ticket_id} was already set to In progress by {NAMED[winner]}." in page
                for page in pages
            )
            == 1
        )


def test_two_techs_assigning_at_once_leave_the_history_in_the_tickets_order(live_dashboard, team):
    """Choosing an assignee is deliberate, so the later choice stands, recorded after the first."""
    ann, bob = tech_browser(live_dashboard, "ann"), tech_browser(live_dashboard, "bob")
    for ticket_id in file_tickets(live_dashboard, RACES):
        path = f"/tickets/{ticket_id}/assign"
        first, second = at_once(
            click(live_dashboard, ann, path, assignee=str(team["cid"])),
            click(live_dashboard, bob, path, assignee=str(team["bob"])),
        )
        page_after(live_dashboard, ann, first)
        page_after(live_dashboard, bob, second)
        assigned = [d for kind, d, _ in history(live_dashboard, ticket_id) if kind == "assigned"]
        assert assigned in (["to Cid", "to Bob"], ["to Bob", "to Cid"])
        final = username(status(live_dashboard, ticket_id)["assignee"])
        assert assigned[-1] == f"to {DISPLAY[final]}"


def test_two_techs_assigning_the_same_person_at_once_record_it_once(live_dashboard, team):
    techs = two_techs(live_dashboard)
    for ticket_id in file_tickets(live_dashboard, RACES):
        path = f"/tickets/{ticket_id}/assign"
        pages = clicks_at_once(live_dashboard, techs, path, assignee=str(team["cid"])).values()
        assert sum(f"Assigned to {NAMED['cid']}." in page for page in pages) == 1
        refused = f"Ticket #{ticket_id} is already assigned to {NAMED['cid']}."
        assert sum(refused in page for page in pages) == 1
        assigned = [d for kind, d, _ in history(live_dashboard, ticket_id) if kind == "assigned"]
        assert assigned == ["to Cid"]
