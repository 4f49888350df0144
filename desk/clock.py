"""The dashboard's notion of now; tests put a fake clock in `app.config["CLOCK"]`.

The clock itself lives with the models (`models.utcnow`), so that row defaults follow it too.
"""

from __future__ import annotations

from datetime import datetime

from models import utcnow


def now() -> datetime:
    return utcnow()
