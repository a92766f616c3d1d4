"""Periodic licence jobs on Celery."""

from __future__ import annotations

from celery import shared_task

from licenses.year_levels import remember_year_levels


@shared_task(name="licenses.tasks.remember_year_levels")
def remember_year_levels_task() -> int:
    """Keep each group's year levels of this school year before the nightly import may change them."""
    return remember_year_levels()
