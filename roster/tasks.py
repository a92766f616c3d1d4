"""The nightly roster import on Celery: one run lists the schools and fans out tasks of them.

A task carries ``ROSTER_IMPORT_TASK_SCHOOLS`` schools and imports them as ``sync_roster`` does
(``importer.import_schools``): in chunks of ``ROSTER_IMPORT_CHUNK_SIZE``, the next ones read
while the last ones are written.

A task is tried again in two ways. A source that does not answer counts: after
``ROSTER_TASK_RETRIES`` retries the last attempt records its schools as failed, so the run ends. A
database that cannot be reached does not count: the chunk could not record anything, so it waits
for the database (back-off doubling to ``ROSTER_TASK_RETRY_BACKOFF_MAX``) for as long as its run
may stay open (``ROSTER_RUN_MAX_HOURS``); after that the sweep closes the run.

The lock of ``roster.lock`` (released by whichever task closes the run) keeps two runs from
overlapping; its expiry frees it should a worker die mid-run.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
import uuid

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction

from roster import importer, retention
from roster.feed import TransientSourceError
from roster.feed.sources import source_from
from roster.lock import LOCK_KEY, LOCK_SECONDS, acquire_lock, release_lock
from roster.lock import redis_client as _redis
from roster.models import ImportRun

logger = logging.getLogger(__name__)


def start_nightly_run(*, full: bool = False) -> ImportRun | None:
    """Open a run and queue its tasks; None when another run still holds the lock."""
    owner = f"starting-{uuid.uuid4().hex}"
    if not acquire_lock(owner):
        logger.warning("Roster import not started: the previous run still holds the lock")
        return None
    try:
        run, ids = importer.start_run(source_from(), trigger="nightly", full=full)
    except Exception:
        release_lock(owner)
        raise
    client = _redis()
    if client is not None:
        client.set(LOCK_KEY, f"run-{run.pk}", ex=LOCK_SECONDS)
    size = settings.ROSTER_IMPORT_TASK_SCHOOLS
    if not ids:
        _close(run)
    until = _run_limit()
    for start in range(0, len(ids), size):
        import_chunk.delay(run.pk, ids[start : start + size], full, until=until)
    return run


def _run_limit() -> float:
    # Until when a chunk waits for an unreachable database: the sweep closes its run after that.
    return time.time() + settings.ROSTER_RUN_MAX_HOURS * 3600


def retry_countdown(retries: int) -> float:
    """Seconds before retry number ``retries + 1``: doubling from ``ROSTER_TASK_RETRY_BACKOFF`` up to
    ``ROSTER_TASK_RETRY_BACKOFF_MAX``, with jitter in its upper half (never near zero, so the tries
    span the time they are meant to, yet the chunks of a run do not all come back at once)."""
    base = min(settings.ROSTER_TASK_RETRY_BACKOFF * 2**retries, settings.ROSTER_TASK_RETRY_BACKOFF_MAX)
    return random.uniform(base / 2, base)  # noqa: S311 - spreading retries, not a secret


def import_chunk_now(run_id: int, ids: list[int], full: bool, *, final_attempt: bool) -> None:
    run = ImportRun.objects.get(pk=run_id)
    try:
        importer.import_schools(run, source_from(), ids, full=full, raise_transient=not final_attempt)
    except Exception as exc:
        if not final_attempt and isinstance(exc, RETRIED):
            raise  # Celery tries the chunk again
        # A chunk that crashed still ends: its schools fail with the reason, and the last chunk closes the run.
        logger.exception("Roster import chunk of run %s failed", run_id)
        importer.fail_unfinished(run, ids, f"{type(exc).__name__}: {exc}")
    _close(run)


def _close(run: ImportRun) -> None:
    # The lock goes before the closed run is committed: whoever sees the run closed finds the lock free.
    with transaction.atomic():
        if importer.finish_if_done(run):
            release_lock(f"run-{run.pk}")
            logger.info("Roster import run %s closed", run.pk)


@shared_task(name="roster.tasks.nightly_roster_import")
def nightly_roster_import(full: bool = False) -> None:
    start_nightly_run(full=full)


RETRIED = (TransientSourceError, OperationalError, InterfaceError)
DATABASE_ERRORS = (OperationalError, InterfaceError)


def sweep_stale_runs() -> list[int]:
    """Close runs that have been running longer than ``ROSTER_RUN_MAX_HOURS`` and free their lock."""
    closed = []
    limit = dt.timedelta(hours=settings.ROSTER_RUN_MAX_HOURS)
    for run in importer.stale_runs(limit):
        reason = f"still running after {settings.ROSTER_RUN_MAX_HOURS} hours; closed by the sweep"
        if importer.close_failed(run, reason):
            release_lock(f"run-{run.pk}")
            logger.error("Roster import run %s %s", run.pk, reason)
            closed.append(run.pk)
    return closed


@shared_task(name="roster.tasks.sweep_stale_runs")
def sweep_stale_import_runs() -> None:
    sweep_stale_runs()


@shared_task(bind=True, name="roster.tasks.import_chunk", max_retries=None)
def import_chunk(
    self, run_id: int, ids: list[int], full: bool = False, *, source_retries: int = 0, until: float | None = None
) -> None:
    until = until or _run_limit()
    try:
        import_chunk_now(run_id, ids, full, final_attempt=source_retries >= settings.ROSTER_TASK_RETRIES)
    except TransientSourceError as exc:
        # Not the last attempt (that one records the schools as failed): try the source again.
        countdown = retry_countdown(source_retries)
        kwargs = {"source_retries": source_retries + 1, "until": until}
        raise self.retry(exc=exc, countdown=countdown, kwargs=kwargs) from exc
    except DATABASE_ERRORS as exc:
        # The database dropped the chunk or cannot be reached: nothing could be recorded, so wait for it.
        countdown = retry_countdown(self.request.retries)
        if time.time() + countdown > until:
            logger.error("Roster import chunk of run %s: no database until its run's limit; swept later", run_id)
            raise
        logger.warning("Roster import chunk of run %s: database error, tried again in %.0f s", run_id, countdown)
        kwargs = {"source_retries": source_retries, "until": until}
        raise self.retry(exc=exc, countdown=countdown, kwargs=kwargs) from exc


@shared_task
def purge_inactive_people() -> None:
    retention.purge_inactive()
