"""`GET /healthz` for load balancers: no auth, no secrets, 200 only when the database reads
and takes a write."""

from __future__ import annotations

import logging
import secrets

import sqlalchemy as sa
from flask import Blueprint, jsonify
from sqlalchemy.exc import SQLAlchemyError

from desk.database import driver_error_name, write_refusal
from desk.extensions import db
from models import SystemConfig

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz():
    """200 when the database reads and takes a write; 503 naming the part that fails."""
    problem = database_problem()
    if problem:
        log.warning("health check: database %s", problem)
        return jsonify({"status": "unavailable", "database": problem}), 503
    return jsonify({"status": "ok", "database": "ok"})


def database_problem() -> str | None:
    """What is wrong with the database, in a word or two, or None when it reads and writes.

    The write is a row of `system_config` inserted and rolled back: a read-only file, mount or
    server refuses it as it refuses every write, yet nothing is kept. The key is new each time,
    so two probes at once never wait for each other on PostgreSQL.
    """
    try:
        try:
            db.session.execute(sa.text("SELECT 1"))
        except SQLAlchemyError as error:
            # SQLite refuses to open a read-only database when opening must write (WAL set-up).
            refusal = write_refusal(error)
            return refusal.value if refusal else "unreachable"
        try:
            db.session.execute(
                sa.insert(SystemConfig).values(
                    key=f"healthz-probe-{secrets.token_hex(8)}", value=""
                )
            )
        except SQLAlchemyError as error:
            refusal = write_refusal(error)
            return refusal.value if refusal else f"write failed: {driver_error_name(error)}"
        return None
    finally:
        db.session.rollback()
