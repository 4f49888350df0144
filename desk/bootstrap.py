"""First-start work: the schema and the bootstrap admin, safe to run from many workers at once."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from desk.extensions import db
from models import User

log = logging.getLogger(__name__)

BOOTSTRAP_USERNAME = "admin"
BOOTSTRAP_PASSWORD = "admin123"


def create_schema() -> None:
    """Create missing tables; a concurrent worker creating them first is not an error."""
    for attempt in range(3):
        try:
            db.create_all()
            return
        except (OperationalError, ProgrammingError, IntegrityError) as error:
            # SQLite says "already exists"; PostgreSQL may also trip over its catalog's
            # unique index when two workers create the same table at once.
            db.session.rollback()
            message = str(error).lower()
            if ("already exists" not in message and "duplicate" not in message) or attempt == 2:
                raise


def ensure_bootstrap_admin() -> bool:
    """Create `admin`/`admin123` on an empty user table; True when it was created now."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(User)):
        return False
    admin = User(
        username=BOOTSTRAP_USERNAME,
        full_name="Administrator",
        is_admin=True,
        must_change_password=True,
    )
    admin.set_password(BOOTSTRAP_PASSWORD)
    db.session.add(admin)
    try:
        db.session.commit()
    except IntegrityError:
        # Another worker won the race; its admin is the one.
        db.session.rollback()
        return False
    log.warning(
        "Created the bootstrap admin %r with password %r: log in and change it now",
        BOOTSTRAP_USERNAME,
        BOOTSTRAP_PASSWORD,
    )
    return True
