"""Through a real Celery worker on Redis: a chunk holding a hostile school still imports the
others, and the run closes and frees its lock."""

from __future__ import annotations

import json
import time

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings as django_settings

from bingel_admin.celery import app
from roster import tasks
from roster.feed.validation import ErrorCode
from roster.models import ImportRun, ImportRunStatus, Pupil, SchoolImportResult, SchoolResultStatus
from tests.roster_feed import group, pupil, replace_roster_bytes, school, staff, write_feed

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs Redis (REDIS_URL)"),
]
SCHOOLS = [630_001, 630_002, 630_003]


def test_a_chunk_with_a_hostile_school_imports_the_others_and_closes_the_run(tmp_path, settings):
    docs = [
        school(bp, groups=[group("G5")], staff=[staff(bp + 1, ["Leerkracht"], ["G5"])], pupils=[pupil(bp + 5, "G5")])
        for bp in SCHOOLS
    ]
    write_feed(tmp_path, docs)
    hostile = {**docs[1].roster, "leerlingen": [{**pupil(SCHOOLS[1] + 5, "G5"), "subgroepen": 5}]}
    replace_roster_bytes(tmp_path, SCHOOLS[1], json.dumps(hostile).encode())
    settings.BASISPOORT_API_URL = ""
    settings.ROSTER_FOLDER = tmp_path
    settings.ROSTER_IMPORT_CHUNK_SIZE = 3  # all three in one chunk: one bad school must not sink it
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    client.delete(tasks.LOCK_KEY)
    assert not app.conf.task_always_eager

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        tasks.nightly_roster_import.delay()
        deadline = time.monotonic() + 60
        run = None
        while time.monotonic() < deadline:
            run = ImportRun.objects.first()
            if run and run.status != ImportRunStatus.RUNNING:
                break
            time.sleep(0.1)

    assert run is not None and run.status == ImportRunStatus.FAILED, "the run did not close"
    statuses = dict(SchoolImportResult.objects.filter(run=run).values_list("basispoort_id", "status"))
    assert statuses == {
        SCHOOLS[0]: SchoolResultStatus.IMPORTED,
        SCHOOLS[1]: SchoolResultStatus.FAILED,
        SCHOOLS[2]: SchoolResultStatus.IMPORTED,
    }
    assert SchoolImportResult.objects.get(run=run, basispoort_id=SCHOOLS[1]).error_code == ErrorCode.WRONG_TYPE
    assert sorted(Pupil.objects.values_list("basispoort_id", flat=True)) == [SCHOOLS[0] + 5, SCHOOLS[2] + 5]
    # The lock is released right after the run is closed, by the same task (see roster/tasks.py).
    deadline = time.monotonic() + 10
    while client.get(tasks.LOCK_KEY) is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert client.get(tasks.LOCK_KEY) is None
