"""A school chunk whose source did not answer is retried by Celery a bounded number of times, then
recorded as failed; a source that answers again within those tries is imported. Driven through a
real Celery worker on Redis."""

from __future__ import annotations

import time

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings as django_settings

from bingel_admin.celery import app
from roster import tasks
from roster.feed import FolderSource, TransientSourceError
from roster.importer import start_run
from roster.models import ImportRun, ImportRunStatus, Pupil, SchoolImportResult, SchoolResultStatus
from tests.roster_feed import group, pupil, school, write_feed

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs Redis (REDIS_URL)"),
]
SCHOOL = 501_201


class FlakySource(FolderSource):
    """The folder feed, but the first ``failures`` fetches answer as an overloaded API would."""

    def __init__(self, root, failures: int):
        super().__init__(root)
        self.failures = failures
        self.fetches = 0

    def fetch_raw(self, basispoort_id: int):
        self.fetches += 1
        if self.fetches <= self.failures:
            raise TransientSourceError(f"GET instellingen/{basispoort_id}: HTTP 503 after 4 tries")
        return super().fetch_raw(basispoort_id)


@pytest.fixture
def worker():
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    client.delete(tasks.LOCK_KEY, "celery")
    assert not app.conf.task_always_eager
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield client


def run_chunk_through_celery(tmp_path, monkeypatch, failures: int) -> tuple[ImportRun, FlakySource]:
    write_feed(tmp_path, [school(SCHOOL, groups=[group("G5")], pupils=[pupil(SCHOOL + 5, "G5")])])
    source = FlakySource(tmp_path, failures)
    monkeypatch.setattr(tasks, "source_from", lambda spec=None: source)
    run, ids = start_run(source, trigger="nightly")
    tasks.import_chunk.delay(run.pk, ids, False)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status != ImportRunStatus.RUNNING:
            return run, source
        time.sleep(0.1)
    raise AssertionError(f"the run did not close; {source.fetches} fetches so far")


def test_a_source_that_keeps_failing_is_tried_a_bounded_number_of_times_then_recorded(
    tmp_path, monkeypatch, worker, settings
):
    run, source = run_chunk_through_celery(tmp_path, monkeypatch, failures=100)

    assert source.fetches == settings.ROSTER_TASK_RETRIES + 1
    assert (run.status, run.schools_done, run.schools_failed) == (ImportRunStatus.FAILED, 1, 1)
    result = SchoolImportResult.objects.get()
    assert result.status == SchoolResultStatus.FAILED
    assert "HTTP 503" in result.error
    assert not Pupil.objects.exists()


def test_a_source_that_answers_again_within_the_tries_is_imported(tmp_path, monkeypatch, worker, settings):
    run, source = run_chunk_through_celery(tmp_path, monkeypatch, failures=settings.ROSTER_TASK_RETRIES)

    assert source.fetches == settings.ROSTER_TASK_RETRIES + 1
    assert (run.status, run.schools_done, run.schools_failed) == (ImportRunStatus.FINISHED, 1, 0)
    assert SchoolImportResult.objects.get().status == SchoolResultStatus.IMPORTED
    assert Pupil.objects.get().basispoort_id == SCHOOL + 5
