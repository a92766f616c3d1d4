"""Periodic housekeeping of the project itself (see CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task
from django.core.management import call_command


@shared_task
def clear_expired_sessions() -> None:
    """Delete expired session rows; Django never does that by itself."""
    call_command("clearsessions")
