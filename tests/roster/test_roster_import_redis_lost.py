"""Redis restarted, or emptied, in the middle of a nightly run: the run still ends, no school is
applied twice, and no second run starts alongside the first although its Redis lock is gone.

A real ``celery worker`` process and a redis-server of the test's own (ports 17230, 17231) as broker and
lock store; the test holds a write lock on the run's results so that the worker is inside the
first of two chunks when Redis goes away.
"""

from __future__ import annotations

import datetime as dt
import time

import psycopg
import pytest
import redis
from django.db import connection

from roster import tasks
from roster.models import ImportRun, ImportRunStatus, Pupil, School, SchoolImportResult, SchoolResultStatus
from tests.fault_servers import (
    celery_broker,
    celery_worker_process,
    own_redis,
    sessions_waiting_on_a_lock,
    wait_for_worker,
    worker_database_url,
)
from tests.roster_feed import group, pupil, school, staff, write_feed

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]
SCHOOLS = [621_001 + i for i in range(4)]
NAME = "import-worker-redis"
PORT_RESTARTED, PORT_EMPTIED = 17230, 17231  # one each: see celery_broker


def night(tmp_path, settings, *, persistent: bool, port: int):
    feed = tmp_path / "feed"
    docs = [
        school(bp, groups=[group("G7")], staff=[staff(bp + 1000, ["Leerkracht"], ["G7"])], pupils=[pupil(bp + 5, "G7")])
        for bp in SCHOOLS
    ]
    write_feed(feed, docs)
    settings.BASISPOORT_API_URL = ""
    settings.ROSTER_FOLDER = feed
    settings.ROSTER_IMPORT_CHUNK_SIZE = 2
    settings.ROSTER_IMPORT_TASK_SCHOOLS = 2  # two tasks of one chunk each
    server_dir = tmp_path / "redis"
    server_dir.mkdir()
    return feed, own_redis(port, server_dir, persistent=persistent)


def worker_env(feed, url: str) -> dict[str, str]:
    return {
        "DJANGO_ENV": "test",
        "DATABASE_URL": worker_database_url(application_name=NAME),
        "REDIS_URL": url,
        "BASISPOORT_API_URL": "",
        "ROSTER_FOLDER": str(feed),
        "ROSTER_IMPORT_CHUNK_SIZE": "2",
    }


def wait_for_run(run: ImportRun, seconds: float = 60) -> ImportRun:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status != ImportRunStatus.RUNNING:
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run.pk} did not end")


def wait_for_results(run: ImportRun, count: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and SchoolImportResult.objects.filter(run=run).count() < count:
        time.sleep(0.2)


def statuses(run: ImportRun) -> list[tuple[int, str]]:
    return sorted(SchoolImportResult.objects.filter(run=run).values_list("basispoort_id", "status"))


def test_redis_restarted_mid_run_the_run_ends_without_a_second_run_alongside(tmp_path, settings):
    feed, own = night(tmp_path, settings, persistent=True, port=PORT_RESTARTED)
    with own as server, celery_broker(server.url):
        settings.REDIS_URL = server.url
        log = tmp_path / "worker.log"
        with celery_worker_process(NAME, worker_env(feed, server.url), log) as worker:
            wait_for_worker(NAME, worker)
            with psycopg.connect(worker_database_url(application_name="test-lock-holder")) as locker:
                locker.execute("LOCK TABLE roster_schoolimportresult IN EXCLUSIVE MODE")
                run = tasks.start_nightly_run()
                assert run is not None
                assert sessions_waiting_on_a_lock(NAME)
                server.stop()
                server.start()  # its append-only file brings back the lock and the queued chunk
                assert tasks.start_nightly_run() is None, "a second run alongside the first"
                locker.rollback()
            run = wait_for_run(run)
        assert run.status == ImportRunStatus.FINISHED, log.read_text()[-3000:]
        assert statuses(run) == [(bp, SchoolResultStatus.IMPORTED) for bp in SCHOOLS]
        assert sorted(Pupil.objects.values_list("school__basispoort_id", flat=True)) == SCHOOLS
        assert ImportRun.objects.count() == 1
        assert redis.Redis.from_url(server.url).get(tasks.LOCK_KEY) is None


def test_redis_emptied_mid_run_no_second_run_alongside_and_the_sweep_ends_the_run(tmp_path, settings):
    feed, own = night(tmp_path, settings, persistent=False, port=PORT_EMPTIED)
    with own as server, celery_broker(server.url):
        settings.REDIS_URL = server.url
        log = tmp_path / "worker.log"
        with celery_worker_process(NAME, worker_env(feed, server.url), log) as worker:
            wait_for_worker(NAME, worker)
            with psycopg.connect(worker_database_url(application_name="test-lock-holder")) as locker:
                locker.execute("LOCK TABLE roster_schoolimportresult IN EXCLUSIVE MODE")
                run = tasks.start_nightly_run()
                assert run is not None
                assert sessions_waiting_on_a_lock(NAME)
                redis.Redis.from_url(server.url).flushall()  # our own server: the lock and the second chunk gone
                assert tasks.start_nightly_run() is None, "the open run in the database refuses a second one"
                locker.rollback()
            wait_for_results(run, 2)
            time.sleep(1)
            run.refresh_from_db()
            assert run.status == ImportRunStatus.RUNNING, "the second chunk was lost with Redis"
            assert len(statuses(run)) == 2

            # The sweep closes a run open longer than ROSTER_RUN_MAX_HOURS: here, as if that time had passed.
            ImportRun.objects.filter(pk=run.pk).update(started_at=run.started_at - dt.timedelta(hours=7))
            assert tasks.sweep_stale_runs() == [run.pk]
            run.refresh_from_db()
            assert run.status == ImportRunStatus.FAILED and run.schools_done == 2

            # The next night imports what was lost, and nothing twice.
            second = tasks.start_nightly_run()
            assert second is not None
            second = wait_for_run(second)
        assert second.status == ImportRunStatus.FINISHED
        first_chunk = {bp for bp, status in statuses(run) if status == SchoolResultStatus.IMPORTED}
        assert len(first_chunk) == 2
        assert statuses(second) == [
            (bp, SchoolResultStatus.UNCHANGED if bp in first_chunk else SchoolResultStatus.IMPORTED) for bp in SCHOOLS
        ]
        assert sorted(Pupil.objects.values_list("school__basispoort_id", flat=True)) == SCHOOLS
        assert sorted(School.objects.values_list("basispoort_id", flat=True)) == SCHOOLS
