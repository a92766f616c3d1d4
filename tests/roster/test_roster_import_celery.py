"""The nightly run through a real Celery worker on Redis: it fans out per-school tasks, and a lock stops overlap."""

from __future__ import annotations

import time

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings as django_settings

from bingel_admin.celery import app
from roster import tasks
from roster.models import ImportRun, ImportRunStatus, Pupil, SchoolImportResult, SchoolResultStatus

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs Redis (REDIS_URL)"),
]
SCHOOLS = [501_001, 501_002, 501_003]


@pytest.fixture
def feed(one_school_per_chunk_feed):
    return one_school_per_chunk_feed(SCHOOLS, "G5")


@pytest.fixture
def worker():
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    client.delete(tasks.LOCK_KEY, "celery")
    assert not app.conf.task_always_eager
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield client


def wait_for_run(seconds: float = 30) -> ImportRun:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run = ImportRun.objects.first()
        if run and run.status != ImportRunStatus.RUNNING:
            return run
        time.sleep(0.1)
    raise AssertionError("the nightly run did not finish in time")


def test_the_nightly_task_fans_out_one_task_per_school_and_closes_the_run(feed, worker, monkeypatch):
    chunks = []
    real = tasks.import_chunk_now
    monkeypatch.setattr(tasks, "import_chunk_now", lambda *a, **kw: (chunks.append(a[1]), real(*a, **kw)))

    tasks.nightly_roster_import.delay()
    run = wait_for_run()

    assert run.status == ImportRunStatus.FINISHED
    assert (run.schools_total, run.schools_done, run.schools_failed) == (3, 3, 0)
    assert sorted(chunks) == [[bp] for bp in SCHOOLS]
    assert set(SchoolImportResult.objects.values_list("status", flat=True)) == {SchoolResultStatus.IMPORTED}
    assert Pupil.objects.count() == 3
    assert worker.get(tasks.LOCK_KEY) is None


def test_a_second_run_does_not_start_while_the_first_holds_the_lock(feed, worker):
    worker.set(tasks.LOCK_KEY, "run-elsewhere", ex=60)
    assert tasks.start_nightly_run() is None
    assert not ImportRun.objects.exists()
    worker.delete(tasks.LOCK_KEY)


def test_the_beat_schedule_runs_the_import_at_two_in_amsterdam():
    entry = django_settings.CELERY_BEAT_SCHEDULE["nightly-roster-import"]
    assert entry["task"] == tasks.nightly_roster_import.name
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({2}, {0})
    assert app.conf.timezone == "Europe/Amsterdam"
