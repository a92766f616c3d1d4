"""Every Celery beat entry names a task the worker knows, at the documented time."""

from __future__ import annotations

from celery.schedules import crontab
from django.conf import settings

from bingel_admin.celery import app

EXPECTED = {
    "nightly-roster-import": ("roster.tasks.nightly_roster_import", (2, 0)),
    "retention-purge": ("roster.tasks.purge_inactive_people", (4, 30)),
    "lvs-export-nightly-catch-up": ("integrations.tasks.export_results_catch_up", (3, 30)),
}


def test_every_entry_names_a_registered_task():
    app.loader.import_default_modules()
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert set(schedule) == {*EXPECTED, "lvs-export"}
    for name, entry in schedule.items():
        assert entry["task"] in app.tasks, name


def test_the_nightly_entries_run_in_order_in_amsterdam():
    assert app.conf.timezone == "Europe/Amsterdam"
    for name, (task, (hour, minute)) in EXPECTED.items():
        entry = settings.CELERY_BEAT_SCHEDULE[name]
        assert entry["task"] == task
        assert isinstance(entry["schedule"], crontab)
        assert (entry["schedule"].hour, entry["schedule"].minute) == ({hour}, {minute}), name


def test_results_go_out_every_quarter_of_an_hour():
    entry = settings.CELERY_BEAT_SCHEDULE["lvs-export"]
    assert (entry["task"], entry["schedule"]) == ("integrations.tasks.export_results", 15 * 60)
