"""Errors in one place: a write the database refuses is a 503 that names the cause, in a page
for the dashboard and in JSON for the API, never a traceback or what the user wrote."""

from __future__ import annotations

import pytest
from databases import disk_full, read_only, refused_writes

READ_ONLY = "The database refused a write: it is read-only"
DISK_FULL = "The database refused a write: the disk is full"
BREAKAGES = [(read_only, READ_ONLY), (disk_full, DISK_FULL)]
# Two bytes a letter in UTF-8: larger than a page of the database file, so writing it needs a
# new page, which a full disk refuses.
ANSWER = "Перезагружаю VPN-концентратор. " * 120


def assert_tells_nothing_of_the_statement(body: str) -> None:
    for leak in ("Traceback", "INSERT", "UPDATE", "sqlite3", "psycopg", "Перезагружаю"):
        assert leak not in body


@pytest.mark.parametrize(("breakage", "cause"), BREAKAGES)
def test_an_answer_the_database_refuses_is_a_503_page_that_names_the_cause(
    admin_client, db, make_ticket, caplog, breakage, cause
):
    ticket_id = make_ticket().id
    with breakage(db):
        response = admin_client.post(f"/tickets/{ticket_id}/answer", data={"text": ANSWER})
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert cause in page
    assert "Nothing was saved" in page
    assert_tells_nothing_of_the_statement(page)
    assert f"/tickets/{ticket_id}/answer: the database refused a write" in caplog.text
    assert "Перезагружаю" not in caplog.text


@pytest.mark.parametrize(("breakage", "cause"), BREAKAGES)
def test_a_ticket_the_database_refuses_is_a_503_json_error_that_names_the_cause(
    api, db, support_payload, breakage, cause
):
    with breakage(db):
        response = api.post("/api/support_message", json=support_payload(text=ANSWER))
    assert response.status_code == 503
    assert response.get_json()["error"].startswith(cause)
    assert_tells_nothing_of_the_statement(response.get_data(as_text=True))


def test_the_team_still_reads_tickets_while_the_database_is_read_only(
    admin_client, db, make_ticket
):
    ticket_id = make_ticket(text="The printer is on fire").id
    with read_only(db):
        refused = admin_client.post(f"/tickets/{ticket_id}/answer", data={"text": ANSWER})
        page = admin_client.get(f"/tickets/{ticket_id}")
    assert refused.status_code == 503
    assert page.status_code == 200
    assert "The printer is on fire" in page.get_data(as_text=True)


def test_any_other_database_error_is_still_the_logged_500_page(
    app, admin_client, db, make_ticket, caplog
):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer as in production, not raise into the test
    ticket_id = make_ticket().id
    with refused_writes(db, "P0001", "not a refusal", tables=("support_responses",)):
        response = admin_client.post(f"/tickets/{ticket_id}/answer", data={"text": ANSWER})
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong" in page
    assert "refused a write" not in page
    assert_tells_nothing_of_the_statement(page)
    assert f"Exception on /tickets/{ticket_id}/answer [POST]" in caplog.text  # with its traceback
