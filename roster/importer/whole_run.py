"""A whole import run in this process: ``manage.py sync_roster`` and the demo.

On PostgreSQL the run's schools are shared among ``ROSTER_IMPORT_PROCESSES`` forked processes,
as Celery workers share a nightly run's chunks: parsing, validating and comparing the schools is
Python work, one CPU per process. Each part is imported and recorded as usual (``run``).
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed

from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from roster.feed import Source
from roster.importer.run import (
    ChunkSummary,
    close_failed,
    fail_unfinished,
    finish_if_done,
    import_schools,
    start_run,
)
from roster.models import ImportRun


def sync_roster(
    source: Source,
    *,
    trigger: str,
    full: bool = False,
    only: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[ImportRun, ChunkSummary]:
    """A whole run in this process: what ``manage.py sync_roster`` and the demo use."""
    run, ids = start_run(source, trigger=trigger, full=full, only=only)
    try:
        # Forking means closing this process's connection first, which an open transaction forbids.
        forkable = connection.vendor == "postgresql" and not connection.in_atomic_block
        processes = settings.ROSTER_IMPORT_PROCESSES if forkable else 1
        if processes > 1 and len(ids) > processes * settings.ROSTER_IMPORT_CHUNK_SIZE:
            summary = _import_in_processes(run, source, ids, full=full, progress=progress, processes=processes)
        else:
            summary = import_schools(run, source, ids, full=full, progress=progress)
    except BaseException as exc:
        # A crash (or Ctrl-C) still ends the run, as failed with the reason; the caller releases the lock.
        reason = f"{type(exc).__name__}: {exc}"
        fail_unfinished(run, ids, reason)
        close_failed(run, reason)
        raise
    finish_if_done(run)
    run.refresh_from_db()
    return run, summary


# Parts per process: small enough to even out the processes' load, large enough that each part
# keeps its fetch threads and writers busy.
_PARTS_PER_PROCESS = 4


def _import_in_processes(
    run: ImportRun,
    source: Source,
    ids: list[int],
    *,
    full: bool,
    progress: Callable[[int, int], None] | None,
    processes: int,
) -> ChunkSummary:
    """``import_schools`` on parts of ``ids`` in forked processes, as Celery workers share a nightly
    run: each part's chunks are still applied and recorded as usual, on the process's own connections."""
    now = timezone.now()
    size = -(-len(ids) // (processes * _PARTS_PER_PROCESS))
    parts = [ids[i : i + size] for i in range(0, len(ids), size)]
    summary = ChunkSummary()
    done = 0
    # A forked process must not share this process's database connection.
    connections.close_all()
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
        futures = {pool.submit(_import_part, run, source, part, full, now): part for part in parts}
        for future in as_completed(futures):
            part_summary = future.result()
            summary.counts.update(part_summary.counts)
            summary.failed.extend(part_summary.failed)
            done += len(futures[future])
            if progress:
                progress(done, len(ids))
    return summary


def _import_part(run: ImportRun, source: Source, ids: list[int], full: bool, now: dt.datetime) -> ChunkSummary:
    try:
        return import_schools(run, source, ids, full=full, now=now)
    finally:
        connections.close_all()
