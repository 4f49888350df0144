"""First start: the schema and exactly one bootstrap admin."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from bot_harness import OWN_INSTANCE

from models import User

ROOT = Path(__file__).resolve().parent.parent


def test_first_start_creates_admin_who_must_change_password(db):
    admins = db.session.scalars(sa.select(User)).all()
    assert [(u.username, u.is_admin, u.must_change_password) for u in admins] == [
        ("admin", True, True)
    ]
    assert admins[0].check_password("admin123")
    assert not admins[0].password_hash.startswith("admin")  # stored as a bcrypt hash
    assert admins[0].password_hash.startswith("$2")


def test_starting_twice_keeps_one_admin(app_config, app):
    from app import create_app
    from desk.extensions import db

    again = create_app(app_config)
    with again.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1
        db.session.remove()
        db.engine.dispose()


def test_admin_renamed_is_not_recreated(app_config, app, db):
    from app import create_app

    admin = db.session.scalar(sa.select(User))
    admin.username = "root"
    db.session.commit()
    again = create_app(app_config)
    with again.app_context():
        assert db.session.scalars(sa.select(User.username)).all() == ["root"]
        db.session.remove()
        db.engine.dispose()


@pytest.mark.e2e
def test_several_workers_starting_at_once_create_one_admin(tmp_path, database_url):
    """Four processes race through first start against one fresh database."""
    env = {k: v for k, v in os.environ.items()} | {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "x",
        "PYTHONPATH": str(ROOT),
    }
    script = OWN_INSTANCE + "from app import create_app; create_app(); print('ok')"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = [w.communicate(timeout=60) for w in workers]
    assert [w.returncode for w in workers] == [0, 0, 0, 0], outputs
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT username FROM users")).scalars().all() == ["admin"]
    engine.dispose()
