"""First-start work: the schema and the bootstrap admin, safe to run from many workers at once.

A fresh database gets the whole schema at once and is stamped with the newest migration; an
existing one must already be at that migration, or the dashboard refuses to start and says
which command brings it up to date.
"""

from __future__ import annotations

import logging
import secrets
import time
from pathlib import Path

import click
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from desk import report_marks, search_index  # noqa: F401 - attach their triggers to the schema
from desk.config import publish_new_secret
from desk.extensions import db
from envconfig import ConfigError
from models import User

log = logging.getLogger(__name__)

BOOTSTRAP_USERNAME = "admin"
# The first password is random and written to this file in the instance folder (mode 0600),
# never to the log; the first login must replace it.
BOOTSTRAP_PASSWORD_FILE = "bootstrap_admin_password"
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
UPGRADE_COMMAND = "flask --app app db upgrade"


class SchemaOutdated(ConfigError):
    def __init__(self, current: str | None, head: str | None) -> None:
        super().__init__(
            "DATABASE_URL",
            f"the database schema is at revision {current or 'none'} but this code needs "
            f"{head}: back it up, then run `{UPGRADE_COMMAND}`",
        )


def prepare_database(patience: float = 10.0) -> None:
    """Create or check the schema, then make sure there is an admin.

    Several workers may start at once on a fresh database: one creates the schema, the others
    trip over it (already exists, locked, duplicate key) or see its tables before its revision
    stamp (SQLite commits each CREATE TABLE at once) and simply look again, for `patience`
    seconds, before calling the schema outdated.
    """
    deadline = time.monotonic() + patience
    while True:
        try:
            if _schema_ready(last_look=time.monotonic() > deadline):
                ensure_bootstrap_admin()
            return
        except _BeingCreated:
            pass
        except (OperationalError, ProgrammingError, IntegrityError) as error:
            db.session.rollback()
            if not _lost_a_race(error) or time.monotonic() > deadline:
                raise
        time.sleep(0.2)


class _BeingCreated(Exception):
    """Tables without a revision: most likely another worker is creating the schema now."""


def _lost_a_race(error: Exception) -> bool:
    message = str(error).lower()
    return any(word in message for word in ("already exists", "duplicate", "locked"))


def _schema_ready(*, last_look: bool) -> bool:
    """True when the schema matches the code; creates it on an empty database."""
    tables = set(sa.inspect(db.engine).get_table_names())
    if not tables - {"alembic_version"}:
        create_schema()
        return True
    current, head = schema_revision(), head_revision()
    if current == head:
        return True
    if current is None and not last_look:
        raise _BeingCreated
    if click.get_current_context(silent=True) is not None:
        # A `flask` command (db upgrade, backup) must be able to run on an old schema.
        log.warning("database schema %s is older than the code (%s)", current, head)
        return False
    raise SchemaOutdated(current, head)


def migration_scripts() -> ScriptDirectory:
    config = current_app.extensions["migrate"].migrate.get_config(str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def head_revision() -> str | None:
    return migration_scripts().get_current_head()


def schema_revision() -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def create_schema() -> None:
    """The whole schema and the stamp of the newest migration, in one transaction, so no
    other worker ever sees tables without a revision."""
    with db.engine.begin() as connection:
        db.metadata.create_all(connection)
        MigrationContext.configure(connection).stamp(migration_scripts(), "head")


def ensure_bootstrap_admin() -> bool:
    """Create `admin` with a random first password on an empty user table, the password kept
    in the instance folder; True when it was created now.

    Tests (and only they) choose the password with the BOOTSTRAP_ADMIN_PASSWORD setting."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(User)):
        return False
    password = current_app.config.get("BOOTSTRAP_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
    admin = User(
        username=BOOTSTRAP_USERNAME,
        full_name="Administrator",
        is_admin=True,
        must_change_password=True,
    )
    admin.set_password(password)
    db.session.add(admin)
    try:
        db.session.commit()
    except IntegrityError:
        # Another worker won the race; its admin is the one.
        db.session.rollback()
        return False
    if current_app.config.get("BOOTSTRAP_ADMIN_PASSWORD"):
        log.warning("Created the bootstrap admin %r", BOOTSTRAP_USERNAME)
        return True
    # Only the worker whose admin was committed writes its password (replacing one left by an
    # earlier database); the log says where it is, never what it is.
    path = Path(current_app.instance_path) / BOOTSTRAP_PASSWORD_FILE
    publish_new_secret(path, password, replace=True)
    log.warning(
        "Created the bootstrap admin %r; its first password is in %s (readable by this user "
        "only): log in and change it now",
        BOOTSTRAP_USERNAME,
        path,
    )
    return True
