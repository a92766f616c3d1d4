"""A Celery worker's process killed with SIGKILL while it applies a chunk: the chunk is delivered
again, every school is applied exactly once, and the run ends.

A real ``celery worker`` (prefork, one child) on Redis and PostgreSQL. The test holds a write lock
on the run's results table, so the child stops inside a chunk after writing the schools' people
and before their results are written; it is killed there (as the out-of-memory killer would).
Two protections are proven: the task goes back on the queue (``task_reject_on_worker_lost`` with
late acknowledgement), and a school's result commits with its changes, so the chunk delivered again
applies what the killed one had not committed, and skips what it had (never "unchanged" for a
school that this run changed).
"""

from __future__ import annotations

import re
import subprocess
import time

import psycopg
import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection

from roster import tasks
from roster.models import ImportRun, ImportRunStatus, Pupil, School, SchoolImportResult, SchoolResultStatus
from tests.fault_servers import (
    celery_worker_process,
    sessions_waiting_on_a_lock,
    wait_for_worker,
    worker_database_url,
)
from tests.roster_feed import group, pupil, school, staff, write_feed

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql" or not django_settings.REDIS_URL, reason="needs PostgreSQL and Redis"
    ),
]
SCHOOLS = [611_001 + i for i in range(4)]
NAME = "import-worker-killed"


@pytest.fixture
def worker(tmp_path, settings):
    docs = [
        school(bp, groups=[group("G7")], staff=[staff(bp + 1000, ["Leerkracht"], ["G7"])], pupils=[pupil(bp + 5, "G7")])
        for bp in SCHOOLS
    ]
    write_feed(tmp_path, docs)
    settings.BASISPOORT_API_URL = ""
    settings.ROSTER_FOLDER = tmp_path
    settings.ROSTER_IMPORT_CHUNK_SIZE = 2
    settings.ROSTER_IMPORT_TASK_SCHOOLS = 2  # two tasks of one chunk each
    broker = redis.Redis.from_url(django_settings.REDIS_URL)
    broker.delete(tasks.LOCK_KEY, "celery")
    env = {
        "DJANGO_ENV": "test",
        "DATABASE_URL": worker_database_url(application_name=NAME),
        "REDIS_URL": django_settings.REDIS_URL,
        "BASISPOORT_API_URL": "",
        "ROSTER_FOLDER": str(tmp_path),
        "ROSTER_IMPORT_CHUNK_SIZE": "2",
    }
    log = tmp_path / "worker.log"
    with celery_worker_process(NAME, env, log, pool="prefork") as process:
        wait_for_worker(NAME, process)
        yield process, log
    broker.delete(tasks.LOCK_KEY)


def pool_children(process: subprocess.Popen) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True).stdout.split()
    return [int(pid) for pid in found]


def wait_for_run(seconds: float = 60) -> ImportRun:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run = ImportRun.objects.get()
        if run.status != ImportRunStatus.RUNNING:
            return run
        time.sleep(0.2)
    raise AssertionError("the run did not end")


def test_a_chunk_whose_worker_is_killed_is_applied_again_exactly_once(worker):
    process, log = worker
    (child,) = pool_children(process)
    with psycopg.connect(worker_database_url(application_name="test-lock-holder")) as locker:
        locker.execute("LOCK TABLE roster_schoolimportresult IN EXCLUSIVE MODE")  # reads pass, writes wait
        run = tasks.start_nightly_run()
        assert run is not None
        assert sessions_waiting_on_a_lock(NAME), "the worker never reached the results of its chunk"
        subprocess.run(["kill", "-KILL", str(child)], check=True)
        time.sleep(1)
        locker.rollback()

    run = wait_for_run()
    assert run.status == ImportRunStatus.FINISHED
    assert (run.schools_total, run.schools_done, run.schools_failed) == (4, 4, 0)
    results = sorted(SchoolImportResult.objects.filter(run=run).values_list("basispoort_id", "status", "created"))
    assert [(bp, status) for bp, status, _ in results] == [(bp, SchoolResultStatus.IMPORTED) for bp in SCHOOLS]
    assert all(created.get("pupil") == 1 for _, _, created in results), results
    assert sorted(School.objects.values_list("basispoort_id", flat=True)) == SCHOOLS
    assert sorted(Pupil.objects.values_list("school__basispoort_id", flat=True)) == SCHOOLS
    assert redis.Redis.from_url(django_settings.REDIS_URL).get(tasks.LOCK_KEY) is None

    text = log.read_text()
    assert "WorkerLostError" in text or "signal 9" in text, text[-3000:]
    succeeded = re.findall(r"Task roster\.tasks\.import_chunk\[([^\]]+)\] succeeded", text)
    assert len(succeeded) == 2 == len(set(succeeded)), "each of the two chunks succeeded once, one after its redelivery"
