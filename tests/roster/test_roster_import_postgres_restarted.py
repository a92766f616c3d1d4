"""PostgreSQL restarted in the middle of a nightly run: the run ends, every school applied exactly
once, none half applied.

Everything runs on infrastructure of the test's own: a PostgreSQL cluster it creates (initdb, port
17240), a redis-server (port 17241), a real ``celery worker`` and ``manage.py`` processes. The test
holds a write lock on the run's results so the worker is inside its first chunk, with the schools'
people written but not committed, when the cluster is stopped. It stays down until the chunk has
been tried more often than a source that does not answer would be (``ROSTER_TASK_RETRIES``): a
chunk that cannot reach the database cannot record anything, so it must wait for the database
rather than give up. Once the cluster is started again the task applies the schools whose result
had not committed with them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections import Counter

import psycopg
import pytest

from tests.fault_servers import celery_broker, celery_worker_process, own_postgres, own_redis, wait_for_worker
from tests.roster_feed import group, pupil, school, staff, write_feed
from tests.servers import ROOT

# Only for the session's own set-up; the run itself never touches the test database.
pytestmark = pytest.mark.django_db(transaction=True)
SCHOOLS = [631_001 + i for i in range(4)]
NAME = "import-worker-pg"
PG_PORT, REDIS_PORT = 17240, 17241


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def wait_for_lock_wait(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    with psycopg.connect(url, autocommit=True) as watcher:
        while time.monotonic() < deadline:
            if watcher.execute(
                "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND application_name = %s", [NAME]
            ).fetchone():
                return
            time.sleep(0.1)
    raise AssertionError("the worker never reached the results of its chunk")


def run_row(url: str):
    with psycopg.connect(url) as db:
        return db.execute("SELECT id, status, schools_done, schools_failed FROM roster_importrun").fetchall()


def wait_for_retries(log, times: int, seconds: float = 60) -> None:
    """Until Celery's worker has logged ``times`` retries of one task."""
    retried = re.compile(r"Task roster\.tasks\.import_chunk\[([^\]]+)\] retry: Retry in")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if max(Counter(retried.findall(log.read_text())).values(), default=0) >= times:
            return
        time.sleep(0.2)
    raise AssertionError(f"no chunk retried {times} times:\n{log.read_text()[-4000:]}")


def wait_for_end(url: str, log, seconds: float = 90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            rows = run_row(url)
        except psycopg.OperationalError:
            rows = []
        if rows and rows[0][1] != "running":
            return rows[0]
        time.sleep(0.3)
    raise AssertionError(f"the run did not end: {rows}\n{log.read_text()[-4000:]}")


def test_postgres_restarted_mid_chunk_the_run_ends_with_every_school_applied_once(tmp_path):
    feed = tmp_path / "feed"
    docs = [
        school(bp, groups=[group("G7")], staff=[staff(bp + 1000, ["Leerkracht"], ["G7"])], pupils=[pupil(bp + 5, "G7")])
        for bp in SCHOOLS
    ]
    write_feed(feed, docs)
    (tmp_path / "redis").mkdir()
    with own_postgres(PG_PORT) as pg, own_redis(REDIS_PORT, tmp_path / "redis") as broker:
        env = {
            "DJANGO_ENV": "test",
            "DATABASE_URL": pg.url,
            "REDIS_URL": broker.url,
            "BASISPOORT_API_URL": "",
            "ROSTER_FOLDER": str(feed),
            "ROSTER_IMPORT_CHUNK_SIZE": "2",
            "ROSTER_IMPORT_TASK_SCHOOLS": "2",
            "ROSTER_TASK_RETRIES": "2",
            "ROSTER_TASK_RETRY_BACKOFF": "1",
        }
        manage(env, "migrate", "--noinput", "-v", "0")
        log = tmp_path / "worker.log"
        with celery_worker_process(NAME, {**env, "DATABASE_URL": pg.url + f"?application_name={NAME}"}, log) as worker:
            wait_for_worker_on(broker.url, worker)
            locker = psycopg.connect(pg.url)
            locker.execute("LOCK TABLE roster_schoolimportresult IN EXCLUSIVE MODE")
            manage(env, "shell", "-c", "from roster.tasks import start_nightly_run; assert start_nightly_run()")
            wait_for_lock_wait(pg.url)
            pg.stop()  # ends every session: the locker's and the worker's open chunk
            locker.close()
            # More tries than a failing source gets (2 retries): the database is not given up on.
            wait_for_retries(log, times=4)
            pg.start()
            run_id, status, done, failed = wait_for_end(pg.url, log)
            text = log.read_text()
        assert (status, done, failed) == ("finished", 4, 0), text[-4000:]
        with psycopg.connect(pg.url) as db:
            results = db.execute(
                "SELECT basispoort_id, status FROM roster_schoolimportresult WHERE run_id = %s ORDER BY 1", [run_id]
            ).fetchall()
            assert results == [(bp, "imported") for bp in SCHOOLS]
            # Whole schools only: each has its one group and pupil, once.
            for table in ("roster_group", "roster_pupil"):
                per_school = db.execute(
                    f"SELECT s.basispoort_id, count(*) FROM {table} t JOIN roster_school s ON s.id = t.school_id "  # noqa: S608 - fixed table names
                    "GROUP BY 1 ORDER BY 1"
                ).fetchall()
                assert per_school == [(bp, 1) for bp in SCHOOLS], table
        assert "Retry in" in text, "the chunk was tried again"


def wait_for_worker_on(broker_url: str, worker) -> None:
    # The worker answers on its own broker: ask it there.
    with celery_broker(broker_url):
        wait_for_worker(NAME, worker)
