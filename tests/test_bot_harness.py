"""The end-to-end harness's own fault tools: the lossy proxy in front of the dashboard."""

from __future__ import annotations

import pytest
import requests
from bot_harness import API_TOKEN


@pytest.fixture
def through(lossy_dashboard):
    """POST to the dashboard's API through the proxy, as the bot does."""
    session = requests.Session()
    session.trust_env = False  # straight to 127.0.0.1, whatever the environment says
    session.headers["Authorization"] = f"Bearer {API_TOKEN}"

    def post(path: str, body: dict) -> requests.Response:
        return session.post(f"{lossy_dashboard.url}/api{path}", json=body, timeout=5)

    yield post
    session.close()


def request_from(user_id: int) -> dict:
    return {"chat_id": user_id, "message_id": 1, "user_id": user_id, "text": "VPN down"}


def ticket_count(live_dashboard) -> int:
    from models import Ticket

    return live_dashboard.query(
        lambda db: db.session.scalar(db.select(db.func.count()).select_from(Ticket))
    )


def test_the_proxy_forwards_requests_and_answers(through, lossy_dashboard, live_dashboard):
    answer = through("/support_message", request_from(7))
    assert answer.status_code == 201
    assert answer.json()["number"] == 1
    refused = through("/support_message", {"chat_id": 7})
    assert refused.status_code == 400 and "fields" in refused.json()
    assert lossy_dashboard.forwarded == [
        ("POST", "/api/support_message", 201),
        ("POST", "/api/support_message", 400),
    ]


def test_a_lost_answer_was_handled_by_the_dashboard(through, lossy_dashboard, live_dashboard):
    lossy_dashboard.lose_answers(path_prefix="/api/support_message", count=2)
    for user_id in (7, 8):
        with pytest.raises(requests.ConnectionError):
            through("/support_message", request_from(user_id))
    assert ticket_count(live_dashboard) == 2  # both filed, though nobody heard back
    again = through("/support_message", request_from(7))
    assert again.status_code == 200 and again.json()["created"] is False
    assert lossy_dashboard.lost == ["POST /api/support_message"] * 2


def test_only_matching_requests_lose_their_answers(through, lossy_dashboard, live_dashboard):
    lossy_dashboard.lose_answers(path_prefix="/api/escalate/", count=1)
    lossy_dashboard.lose_answers(path_prefix="/api/support_message", count=1, method="GET")
    assert through("/support_message", request_from(7)).status_code == 201
    with pytest.raises(requests.ConnectionError):
        through("/escalate/1", {})
    assert through("/escalate/1", {}).status_code in (200, 409)
    assert lossy_dashboard.lost == ["POST /api/escalate/1"]


def test_a_stopped_dashboard_behind_the_proxy_is_unreachable(through, live_dashboard):
    live_dashboard.stop()
    with pytest.raises(requests.ConnectionError):
        through("/support_message", request_from(7))
    live_dashboard.start()
    assert through("/support_message", request_from(7)).status_code == 201
