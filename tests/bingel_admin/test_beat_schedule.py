"""Every Celery beat entry names a task the worker knows, at the documented time."""

from __future__ import annotations

from celery.schedules import crontab
from django.conf import settings

from bingel_admin.celery import app

EXPECTED = {
    "nightly-roster-import": ("roster.tasks.nightly_roster_import", (2, 0)),
    "retention-purge": ("roster.tasks.purge_inactive_people", (4, 30)),
    "lvs-export-nightly-catch-up": ("integrations.tasks.export_results_catch_up", (3, 30)),
    "remember-year-levels": ("licenses.tasks.remember_year_levels", (1, 30)),
    "clear-expired-sessions": ("bingel_admin.tasks.clear_expired_sessions", (3, 0)),
    "licence-registry-reconcile": ("integrations.tasks.reconcile_registry", (3, 0)),
    "warm-school-cards": ("portal.tasks.warm_school_cards", (5, 0)),
}
# Entries that repeat all day, every so many seconds.
PERIODIC = {
    "lvs-export": ("integrations.tasks.export_results", 15 * 60),
    "roster-sweep-stale-runs": ("roster.tasks.sweep_stale_runs", 15 * 60),
    "licence-registry-sweep": ("integrations.tasks.sweep_registry", 10 * 60),
}


def test_every_entry_names_a_registered_task():
    app.loader.import_default_modules()
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert set(schedule) == {*EXPECTED, *PERIODIC}
    for name, entry in schedule.items():
        assert entry["task"] in app.tasks, name


def test_the_nightly_entries_run_in_order_in_amsterdam():
    assert app.conf.timezone == "Europe/Amsterdam"
    for name, (task, (hour, minute)) in EXPECTED.items():
        entry = settings.CELERY_BEAT_SCHEDULE[name]
        assert entry["task"] == task
        assert isinstance(entry["schedule"], crontab)
        assert (entry["schedule"].hour, entry["schedule"].minute) == ({hour}, {minute}), name


def test_the_periodic_entries_repeat_at_their_interval():
    for name, expected in PERIODIC.items():
        entry = settings.CELERY_BEAT_SCHEDULE[name]
        assert (entry["task"], entry["schedule"]) == expected, name
