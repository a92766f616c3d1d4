"""A nightly Celery task carries ``ROSTER_IMPORT_TASK_SCHOOLS`` schools and imports them as
``sync_roster`` does: chunk by chunk of ``ROSTER_IMPORT_CHUNK_SIZE``, the next chunk read while
the last one is written, and the run closed by the task that finished it."""

from __future__ import annotations

import time

import pytest

from roster import tasks
from roster.feed.sources import FolderSource
from roster.importer import run as importer_run
from roster.models import ImportRun, ImportRunStatus, SchoolImportResult, SchoolResultStatus

pytestmark = pytest.mark.django_db

SCHOOLS = [640_001 + i for i in range(6)]


@pytest.fixture
def queued(one_school_per_chunk_feed, settings, monkeypatch):
    """The nightly run started with tasks of four schools in chunks of two; the tasks it queued."""
    one_school_per_chunk_feed(SCHOOLS)
    settings.REDIS_URL = ""  # no import lock to share with other tests; the tasks run here, one after the other
    settings.ROSTER_IMPORT_TASK_SCHOOLS = 4
    settings.ROSTER_IMPORT_CHUNK_SIZE = 2
    sent = []
    monkeypatch.setattr(tasks.import_chunk, "delay", lambda *args, **kwargs: sent.append(args))
    run = tasks.start_nightly_run()
    assert run is not None
    return run, sent


def test_the_run_is_queued_as_tasks_of_task_schools_each_written_in_chunks(queued, monkeypatch):
    run, sent = queued
    assert [ids for _run_id, ids, _full in sent] == [SCHOOLS[:4], SCHOOLS[4:]]

    fetched: list[int] = []
    real_fetch = FolderSource.fetch_raw

    def fetch(self, basispoort_id):
        fetched.append(basispoort_id)
        return real_fetch(self, basispoort_id)

    written: list[tuple[list[int], set[int]]] = []
    real_write = importer_run.write_chunk

    def write(run, outcomes, now):
        ids = [o.basispoort_id for o in outcomes]
        if not written:  # the fetch threads read ahead while the first chunk is written: give them a moment
            deadline = time.monotonic() + 5
            while not set(SCHOOLS[2:4]) <= set(fetched) and time.monotonic() < deadline:
                time.sleep(0.01)
        done = {bp for chunk, _ahead in written for bp in chunk} | set(ids)
        written.append((ids, set(fetched) - done))
        real_write(run, outcomes, now)

    monkeypatch.setattr(FolderSource, "fetch_raw", fetch)
    monkeypatch.setattr(importer_run, "write_chunk", write)
    for args in sent:
        tasks.import_chunk.apply(args=args).get()

    # The task's second chunk is read while its first is written; the next task's schools are its own to read.
    assert written == [(SCHOOLS[0:2], set(SCHOOLS[2:4])), (SCHOOLS[2:4], set()), (SCHOOLS[4:6], set())]
    run = ImportRun.objects.get(pk=run.pk)
    assert run.status == ImportRunStatus.FINISHED
    assert (run.schools_total, run.schools_done, run.schools_failed) == (6, 6, 0)
    statuses = SchoolImportResult.objects.filter(run=run).values_list("status", flat=True)
    assert set(statuses) == {SchoolResultStatus.IMPORTED}
