"""Whoever sees a nightly run closed finds the import lock free: the lock is released before the
closed run becomes visible to other connections (the order the Celery test and a next run rely on)."""

from __future__ import annotations

import threading

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection

from roster import tasks
from roster.feed.sources import source_from
from roster.importer import start_run
from roster.models import ImportRun, ImportRunStatus
from tests.roster_feed import group, pupil, school, write_feed

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs Redis (REDIS_URL)"),
]


def status_seen_from_another_connection(run_id: int) -> str:
    """Read the run's status on a connection of its own, as the test or a monitoring page would."""
    seen = []

    def read():
        try:
            seen.append(ImportRun.objects.values_list("status", flat=True).get(pk=run_id))
        finally:
            connection.close()

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()
    return seen[0]


def test_the_lock_is_free_before_anyone_sees_the_run_closed(tmp_path, settings, monkeypatch):
    write_feed(tmp_path, [school(501_301, groups=[group("G5")], pupils=[pupil(501_306, "G5")])])
    settings.BASISPOORT_API_URL = ""
    settings.ROSTER_FOLDER = tmp_path
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    run, ids = start_run(source_from(), trigger="nightly")
    client.set(tasks.LOCK_KEY, f"run-{run.pk}", ex=60)

    seen_at_release = []
    real_release = tasks.release_lock

    def release_and_look(owner: str) -> None:
        real_release(owner)
        seen_at_release.append((client.get(tasks.LOCK_KEY), status_seen_from_another_connection(run.pk)))

    monkeypatch.setattr(tasks, "release_lock", release_and_look)
    tasks.import_chunk_now(run.pk, ids, False, final_attempt=True)

    assert seen_at_release == [(None, ImportRunStatus.RUNNING)]
    assert status_seen_from_another_connection(run.pk) == ImportRunStatus.FINISHED
    assert client.get(tasks.LOCK_KEY) is None
