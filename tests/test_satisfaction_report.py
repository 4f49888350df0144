"""The reports' satisfaction section: figures by hand, the CSV the same as the page."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

NOW = datetime(2026, 11, 25, 9, tzinfo=UTC)


@pytest.fixture
def rated(db, clock, make_user, make_ticket):
    """Asked this week: Ann's three (5, 4, 2), Bob's two (1, not rated), one nobody's (5);
    asked 40 days ago: one of Ann's (1), outside the last 7 days."""
    ann = make_user("ann", full_name="Ann")
    bob = make_user("bob", full_name="=Bob+1")  # a name a spreadsheet would run
    clock.current = NOW
    plan = [
        (ann, 5, 1),
        (ann, 4, 2),
        (ann, 2, 3),
        (bob, 1, 1),
        (bob, None, 2),
        (None, 5, 4),
        (ann, 1, 40),
    ]
    for owner, score, days_ago in plan:
        ticket = make_ticket()
        ticket.assignee_id = owner.id if owner else None
        ticket.rating_asked_at = NOW - timedelta(days=days_ago)
        if score is not None:
            ticket.rating = score
            ticket.rated_at = ticket.rating_asked_at + timedelta(hours=1)
    make_ticket()  # never asked: counts nowhere
    db.session.commit()


def rows_of(client, **args) -> list[list[str]]:
    response = client.get("/reports/satisfaction.csv", query_string=args)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_the_figures_are_those_counted_by_hand(tech_client, rated):
    header, *rows = rows_of(tech_client, range="7")
    assert header == [
        "tech",
        "asked",
        "rated",
        "response rate (%)",
        "average",
        "CSAT (%)",
        "rated 1",
        "rated 2",
        "rated 3",
        "rated 4",
        "rated 5",
    ]
    # (5 + 4 + 2 + 1 + 5) / 5 = 3.40; 4s and 5s: 3 of 5 = 60 %; 5 of 6 asked answered.
    assert rows == [
        ["All", "6", "5", "83", "3.40", "60", "1", "1", "0", "1", "2"],
        ["Ann", "3", "3", "100", "3.67", "67", "0", "1", "0", "1", "1"],
        ["'=Bob+1", "2", "1", "50", "1.00", "0", "1", "0", "0", "0", "0"],
        ["Unassigned", "1", "1", "100", "5.00", "100", "0", "0", "0", "0", "1"],
    ]
    # Over 90 days Ann's old 1 counts too.
    assert rows_of(tech_client, range="90")[1] == [
        "All", "7", "6", "86", "3.00", "50", "2", "1", "0", "1", "2"
    ]  # fmt: skip


def test_the_page_shows_the_same_figures(tech_client, rated):
    page = tech_client.get("/reports/", query_string={"range": "7"}).get_data(as_text=True)
    assert "<dt>Ratings</dt><dd>5</dd>" in page
    assert '83 % <span class="muted">(5 of 6 asked)</span>' in page
    assert "<dt>Average</dt><dd>3.40</dd>" in page
    assert "<dt>CSAT</dt><dd>60 %</dd>" in page
    assert "1: 1 · 2: 1 · 3: 0 · 4: 1 · 5: 2" in page
    ann_row = (
        "<tr><td><bdi>Ann</bdi></td><td>3</td><td>3</td><td>100 %</td><td>3.67</td>"
        "<td>67 %</td><td>0</td><td>1</td><td>0</td><td>1</td><td>1</td></tr>"
    )
    assert ann_row in page
    assert "<bdi>=Bob+1</bdi>" in page  # the page shows the name as it is


def test_a_period_without_questions_says_so(tech_client, clock):
    clock.current = NOW
    page = tech_client.get("/reports/").get_data(as_text=True)
    assert "No ticket resolved in this period was asked for a rating." in page
    assert rows_of(tech_client)[1] == ["All", "0", "0", "", "", "", "0", "0", "0", "0", "0"]
