"""One nightly run spread over three real Celery worker processes, as on three machines.

The three workers are separate ``celery worker`` processes on the same Redis and PostgreSQL.
While the test holds a lock on the schools table, each worker takes a chunk and waits on it in
the database, which proves all three were inside the run at once; a second run started then is
refused by the Redis lock. Released, the run finishes: every school is applied exactly once and
exactly one worker closes the run.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from urllib.parse import urlencode, urlsplit, urlunsplit

import psycopg
import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection

from bingel_admin.celery import app
from roster import tasks
from roster.models import ImportRun, ImportRunStatus, Pupil, School, SchoolImportResult, SchoolResultStatus
from tests.servers import ROOT

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql" or not django_settings.REDIS_URL, reason="needs PostgreSQL and Redis"
    ),
]
SCHOOLS = [601_001 + i for i in range(9)]
WORKERS = ["import-worker-1", "import-worker-2", "import-worker-3"]


def worker_database_url(**query: str) -> str:
    parts = urlsplit(django_settings.DATABASE_URL)
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"], query=urlencode(query)))


@pytest.fixture
def feed(one_school_per_chunk_feed):
    return one_school_per_chunk_feed(SCHOOLS, "G7")


@pytest.fixture
def workers(feed, tmp_path_factory):
    """Three `celery worker` processes, each with its own name on the broker and in PostgreSQL."""
    broker = redis.Redis.from_url(django_settings.REDIS_URL)
    broker.delete(tasks.LOCK_KEY, "celery")
    logs = tmp_path_factory.mktemp("worker-logs")
    processes = {}
    for name in WORKERS:
        env = {
            **os.environ,
            "DJANGO_ENV": "test",
            "DATABASE_URL": worker_database_url(application_name=name),
            "REDIS_URL": django_settings.REDIS_URL,
            "BASISPOORT_API_URL": "",
            "ROSTER_FOLDER": str(feed),
            "ROSTER_IMPORT_CHUNK_SIZE": "1",
        }
        command = [sys.executable, "-m", "celery", "-A", "bingel_admin", "worker", "--pool=solo"]
        command += ["-n", f"{name}@%h", "--loglevel=INFO", "--without-gossip", "--without-mingle"]
        with (logs / f"{name}.log").open("wb") as out:
            processes[name] = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
    try:
        wait_until_answering(processes)
        yield processes, logs
    finally:
        for process in processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        broker.delete(tasks.LOCK_KEY)


def wait_until_answering(processes: dict, seconds: float = 90) -> None:
    names = {f"{name}@{socket.gethostname()}" for name in processes}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        exited = [name for name, p in processes.items() if p.poll() is not None]
        assert not exited, f"worker(s) {exited} exited"
        answered = {name for reply in app.control.ping(destination=sorted(names), timeout=1) for name in reply}
        if answered == names:
            return
    raise AssertionError(f"only {answered} of the three workers answered")


def workers_waiting_on_schools(seconds: float = 90) -> set[str]:
    """The workers whose database sessions wait for our lock: each is inside a chunk of the run."""
    deadline = time.monotonic() + seconds
    waiting: set[str] = set()
    # Its own connection in autocommit: a transaction would keep seeing its first snapshot of the view.
    with psycopg.connect(worker_database_url(), autocommit=True) as watcher:
        while time.monotonic() < deadline and waiting != set(WORKERS):
            rows = watcher.execute(
                "SELECT DISTINCT application_name FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock' AND application_name = ANY(%s)",
                [WORKERS],
            ).fetchall()
            waiting = {name for (name,) in rows}
            time.sleep(0.1)
    return waiting


def wait_for_run(seconds: float = 120) -> ImportRun:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run = ImportRun.objects.get()
        if run.status != ImportRunStatus.RUNNING:
            return run
        time.sleep(0.2)
    raise AssertionError("the run did not finish")


def test_three_workers_share_one_nightly_run_and_a_second_run_is_refused(workers):
    processes, logs = workers

    with psycopg.connect(worker_database_url(application_name="test-lock-holder")) as locker:
        locker.execute("LOCK TABLE roster_school IN EXCLUSIVE MODE")  # reads pass, writes wait
        run = tasks.start_nightly_run()
        assert run is not None

        assert workers_waiting_on_schools() == set(WORKERS)
        assert tasks.start_nightly_run() is None  # a second run while the first is in flight
        assert ImportRun.objects.count() == 1
        locker.rollback()

    run = wait_for_run()
    assert run.status == ImportRunStatus.FINISHED
    assert (run.schools_total, run.schools_done, run.schools_failed) == (9, 9, 0)
    results = list(SchoolImportResult.objects.filter(run=run).values_list("basispoort_id", "status"))
    assert sorted(results) == [(bp, SchoolResultStatus.IMPORTED) for bp in SCHOOLS]
    assert sorted(School.objects.values_list("basispoort_id", flat=True)) == SCHOOLS
    assert sorted(Pupil.objects.values_list("school__basispoort_id", flat=True)) == SCHOOLS
    assert redis.Redis.from_url(django_settings.REDIS_URL).get(tasks.LOCK_KEY) is None

    for process in processes.values():
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    text = {name: (logs / f"{name}.log").read_text() for name in WORKERS}
    succeeded = re.compile(r"Task roster\.tasks\.import_chunk\[[^\]]+\] succeeded")
    chunks = {name: len(succeeded.findall(t)) for name, t in text.items()}
    assert sum(chunks.values()) == 9 and all(chunks.values()), chunks
    closes = sum(t.count(f"Roster import run {run.pk} closed") for t in text.values())
    assert closes == 1
