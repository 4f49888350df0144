"""The dashboard's notion of now; tests put a fake clock in `app.config["CLOCK"]`.

The clock itself lives with the models (`models.utcnow`), so that row defaults follow it too.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app

from models import utcnow


def now() -> datetime:
    return utcnow()


def due(chore: str, every: timedelta) -> bool:
    """Whether a chore (pruning old rows) is due again in this worker, marking it done if so.

    Pruning on every write would put a DELETE into each failed login of a guessing flood; once
    an hour per worker keeps the tables tidy for a fraction of that.
    """
    done = current_app.extensions.setdefault("desk.chores", {})
    last, current = done.get(chore), now()
    if last is not None and last <= current < last + every:
        return False
    done[chore] = current
    return True
