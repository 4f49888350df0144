"""Property: whatever a caller sends to the JSON API, the answer is never a 5xx.

Hypothesis throws arbitrary JSON (odd types, NUL bytes, lone surrogates, huge numbers, deep
nesting), odd ids and odd query strings at every endpoint, on whichever database the suite
runs against (SQLite, or PostgreSQL through TEST_DATABASE_URL).
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import SupportResponse

ENDPOINTS = [
    ("post", "/api/support_message"),
    ("post", "/api/message/{id}/confirmation"),
    ("get", "/api/message/{id}/status"),
    ("get", "/api/current_oncall"),
    ("get", "/api/escalations/due"),
    ("post", "/api/escalate/{id}"),
    ("get", "/api/notifications/pending"),
    ("post", "/api/notifications/{id}/claim"),
    ("post", "/api/notifications/{id}/result"),
    ("get", "/api/status"),
    ("get", "/api/oncall"),
    ("get", "/api/responses/pending"),
    ("post", "/api/responses/{id}/claim"),
    ("post", "/api/responses/{id}/result"),
    ("post", "/api/link"),
    ("post", "/api/message/{id}/action"),
    ("post", "/api/heartbeat"),
]
FIELDS = [
    "chat_id", "chat_type", "message_id", "user_id", "username", "first_name", "last_name",
    "chat_title", "text", "reply_to_message_id", "reply_to_ticket", "followup_only", "page",
    "level", "sent", "telegram_message_id", "error", "retryable", "uncertain", "code",
    "telegram_user_id", "telegram_username", "action", "instance", "stale_after",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
    st.sampled_from(["\x00", "\ud800", "acknowledge", "take", "resolve", "private", "", " "]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)
bodies = st.one_of(
    st.dictionaries(st.sampled_from(FIELDS), values, max_size=8),
    values,
)
ids = st.one_of(st.integers(min_value=0, max_value=3), st.integers(min_value=2**62))
queries = st.dictionaries(
    st.sampled_from(["at", "limit", "hours"]),
    st.one_of(
        st.text(max_size=30),
        st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1e9"]),
        st.integers().map(str),
    ),
    max_size=2,
)


def surrogate_safe_json(body: object) -> bytes:
    # json.dumps escapes lone surrogates as \udxxx, which the server parses back into them.
    return json.dumps(body).encode()


@pytest.fixture
def seeded(api, support_payload, on_call_team, admin, db):
    """Ticket 1 with a page (notification 1) and an answer (response 1) for the ids to hit."""
    assert api.post("/api/support_message", support_payload(page=True)).status_code == 201
    db.session.add(SupportResponse(ticket_id=1, author_id=admin.id, text="On it"))
    db.session.commit()
    return api


@pytest.mark.parametrize("method, path", ENDPOINTS)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=bodies, ident=ids, query=queries)
def test_no_request_makes_the_api_answer_5xx(seeded, method, path, body, ident, query):
    url = path.format(id=ident)
    if method == "get":
        response = seeded.get(url, query_string=query)
    else:
        response = seeded.client.post(
            url,
            data=surrogate_safe_json(body),
            content_type="application/json",
            headers=seeded.headers,
            query_string=query,
        )
    assert response.status_code < 500, (url, body, query, response.get_data(as_text=True))
    assert response.is_json
