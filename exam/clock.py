"""The one place the app reads the time; tests replace it through ``app.config['CLOCK']``."""
from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app


def system_now() -> datetime:
    """Naive UTC, as stored in the database."""
    return datetime.now(UTC).replace(tzinfo=None)


def now() -> datetime:
    clock = current_app.config.get("CLOCK") if current_app else None
    return clock() if clock else system_now()
