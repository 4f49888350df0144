"""One clock: everything that stamps a time follows the test's fake clock, row defaults too."""

from __future__ import annotations


def test_rows_made_without_a_time_are_stamped_by_the_fake_clock(clock, make_user, db):
    from desk import clock as desk_clock
    from models import SystemConfig

    user = make_user("ann")
    db.session.add(SystemConfig(key="k", value="v"))
    db.session.commit()
    start = clock.current
    assert user.created_at == user.updated_at == start == desk_clock.now()
    clock.advance(minutes=5)
    user.full_name = "Ann"
    db.session.commit()
    assert user.updated_at == clock.current
    assert db.session.get(SystemConfig, "k").updated_at == start
