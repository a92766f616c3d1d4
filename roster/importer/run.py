"""Running an import: sources, chunks of schools, fan-out, and the record of every run.

A run (``whole_run.sync_roster``, or the nightly Celery tasks in ``roster.tasks``) fetches, parses and
validates schools in threads, skips those whose ``mutationTimestamp`` did not change, applies
the rest in chunks of schools per transaction, with the same statements for the whole chunk
(a chunk that fails is retried school by school), and records one ``SchoolImportResult`` per
school. Applying the documents is ``roster.importer.apply``; the lock that keeps two runs
apart is ``roster.lock``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import time
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from roster import holds
from roster.feed import SchoolDocument, Source, SourceError, TransientSourceError
from roster.feed.validation import (
    XML_UNSAFE_RE,
    ErrorCode,
    InvalidSchool,
    mutation_timestamp,
    parse_school,
    source_timestamp,
    validate_school,
)
from roster.importer.apply import ApplyResult, apply_school_documents
from roster.importer.sql import _relax_commit
from roster.models import (
    ImportRun,
    ImportRunStatus,
    School,
    SchoolImportResult,
    SchoolResultStatus,
)

logger = logging.getLogger("roster.importer")


# --- Runs: many schools, from a source, recorded -------------------------------------------


@dataclass
class SchoolOutcome:
    """What happened to one school in a run, before it is written down as a SchoolImportResult."""

    basispoort_id: int
    status: str = ""
    doc: SchoolDocument | None = None
    warnings: list = field(default_factory=list)
    error_code: str = ""
    error: str = ""
    result: ApplyResult | None = None
    duration: float = 0.0
    recorded: bool = False  # written down with the school's changes, in their transaction

    def fail(self, code: str, detail: str) -> SchoolOutcome:
        self.status, self.error_code, self.error, self.doc = SchoolResultStatus.FAILED, code, detail, None
        return self


def prepare_school(
    source: Source, basispoort_id: int, known: dt.datetime | None, *, full: bool, raise_transient: bool
) -> SchoolOutcome:
    """Fetch, parse and validate one school without touching the database (runs in fetch threads)."""
    started = time.perf_counter()
    outcome = SchoolOutcome(basispoort_id)
    try:
        raw = source.fetch_raw(basispoort_id)
        doc = parse_school(raw)
        if not full and known is not None and source_timestamp(mutation_timestamp(doc.roster, doc.details)) == known:
            outcome.status = SchoolResultStatus.UNCHANGED
        else:
            outcome.warnings = validate_school(doc)
            outcome.doc = doc
    except TransientSourceError as exc:
        if raise_transient:
            raise
        outcome.fail(ErrorCode.SOURCE, str(exc))
    except SourceError as exc:
        outcome.fail(ErrorCode.SOURCE, str(exc))
    except InvalidSchool as exc:
        outcome.fail(exc.code, exc.detail)
    except Exception as exc:
        logger.exception("Reading the documents of school %s failed", basispoort_id)
        outcome.fail(ErrorCode.UNEXPECTED, f"{type(exc).__name__}: {exc}")
    outcome.duration = time.perf_counter() - started
    return outcome


def apply_chunk(outcomes: list[SchoolOutcome], now: dt.datetime, run: ImportRun | None = None) -> None:
    """Apply the validated schools of a chunk in one transaction; if that fails, each school alone.

    A suspicious night is held (``roster.holds``), checked on the rows the import reads anyway:
    its school keeps its data, and its document is kept in the same transaction.

    The chunk is written with the same statements whatever its number of schools
    (``apply_school_documents``); each school's share of the time is the chunk's divided by them.
    With ``run``, each applied school's result is written in the transaction of its changes: a
    chunk delivered again (its worker killed, the database gone after the commit) skips it.
    """
    todo = [o for o in outcomes if o.doc is not None]
    if not todo:
        return
    try:
        _apply_timed(todo, now, run)
    except Exception:
        logger.warning("Chunk of %d schools failed; retrying them one by one", len(todo), exc_info=True)
        for outcome in todo:
            outcome.result, outcome.status, outcome.error = None, "", ""
            try:
                _apply_timed([outcome], now, run)
            except Exception as exc:
                logger.exception("Roster import of school %s failed", outcome.basispoort_id)
                outcome.fail(ErrorCode.DATABASE, f"{type(exc).__name__}: {exc}")


def _apply_timed(outcomes: list[SchoolOutcome], now: dt.datetime, run: ImportRun | None = None) -> None:
    started = time.perf_counter()
    with transaction.atomic():
        _relax_commit()
        results = apply_school_documents([o.doc for o in outcomes], now=now, screen=True)
        share = (time.perf_counter() - started) / len(outcomes)
        held, docs = {}, {}
        for outcome, result in zip(outcomes, results, strict=True):
            outcome.duration += share
            if result.held is None:
                outcome.result, outcome.status = result, SchoolResultStatus.IMPORTED
                continue
            held[outcome.basispoort_id], docs[outcome.basispoort_id] = result.held, outcome.doc
            outcome.status, outcome.error = SchoolResultStatus.HELD, ", ".join(result.held.reasons)
        # The held night is kept with its result: a chunk delivered again skips a school with a
        # result, so a kept document must never be missing behind one.
        holds.keep(run, held, docs, now)
        if run is not None:
            record_outcomes(run, outcomes)
    for outcome in outcomes:
        outcome.recorded = run is not None


def _nonzero(counter: Counter) -> dict[str, int]:
    return {key: n for key, n in sorted(counter.items()) if n}


def record_outcomes(run: ImportRun, outcomes: list[SchoolOutcome]) -> None:
    school_ids = dict(
        School.objects.filter(basispoort_id__in=[o.basispoort_id for o in outcomes]).values_list("basispoort_id", "pk")
    )
    rows = []
    for o in outcomes:
        result = o.result
        rows.append(
            SchoolImportResult(
                run=run,
                school_id=school_ids.get(o.basispoort_id),
                basispoort_id=o.basispoort_id,
                status=o.status,
                created=_nonzero(result.created) if result else {},
                updated=_nonzero(result.updated) if result else {},
                deactivated=_nonzero(result.deactivated) if result else {},
                moved_pupils=result.moved_pupils if result else 0,
                warnings=o.warnings,
                error_code=o.error_code,
                # An exception's words may quote the feed; PostgreSQL cannot store a NUL.
                error=XML_UNSAFE_RE.sub("", o.error)[:2000],
                duration=round(o.duration, 4),
            )
        )
    # A retried Celery task may report a school again; the last word counts.
    SchoolImportResult.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["run", "basispoort_id"],
        update_fields=[
            "school",
            "status",
            "created",
            "updated",
            "deactivated",
            "moved_pupils",
            "warnings",
            "error_code",
            "error",
            "duration",
        ],
    )


@dataclass
class ChunkSummary:
    counts: Counter = field(default_factory=Counter)
    failed: list[tuple[int, str]] = field(default_factory=list)
    held: list[tuple[int, str]] = field(default_factory=list)

    def add(self, outcomes: list[SchoolOutcome]) -> None:
        for o in outcomes:
            self.counts[o.status] += 1
            if o.status == SchoolResultStatus.FAILED:
                self.failed.append((o.basispoort_id, o.error))
            elif o.status == SchoolResultStatus.HELD:
                self.held.append((o.basispoort_id, o.error))


def import_schools(
    run: ImportRun,
    source: Source,
    ids: list[int],
    *,
    full: bool = False,
    raise_transient: bool = False,
    progress: Callable[[int, int], None] | None = None,
    now: dt.datetime | None = None,
) -> ChunkSummary:
    """Import the given schools chunk by chunk, fetching the next chunks while the database works.

    Only a chunk or two of documents is held at a time, so memory does not grow with the
    number of schools.
    """
    now = now or timezone.now()
    size = settings.ROSTER_IMPORT_CHUNK_SIZE
    # A chunk delivered again (its worker killed, the database back after a restart) leaves alone
    # the schools this run already applied or found unchanged: their result committed with them.
    settled = set(
        SchoolImportResult.objects.filter(run=run, basispoort_id__in=ids)
        .exclude(status=SchoolResultStatus.FAILED)
        .values_list("basispoort_id", flat=True)
    )
    if settled:
        logger.warning("Run %s: %d of these schools were settled before; not applied again", run.pk, len(settled))
        ids = [i for i in ids if i not in settled]
    # A school that withdrew and granted permission again is imported in full, whatever its timestamp.
    known = dict(
        School.objects.filter(basispoort_id__in=ids, sync_permitted=True).values_list(
            "basispoort_id", "mutation_timestamp"
        )
    )
    chunks = iter([ids[i : i + size] for i in range(0, len(ids), size)])
    summary = ChunkSummary()
    done = 0
    # Several chunks in flight on their own connections keep PostgreSQL busy while Python builds
    # the next statements; SQLite (the demo) allows one writer only.
    writers = settings.ROSTER_IMPORT_WRITERS if connection.vendor == "postgresql" else 1
    in_flight: deque[tuple[Future, list[SchoolOutcome]]] = deque()

    def finished(outcomes: list[SchoolOutcome]) -> None:
        nonlocal done
        summary.add(outcomes)
        done += len(outcomes)
        if progress:
            progress(done, len(ids))

    with (
        ThreadPoolExecutor(max_workers=settings.ROSTER_FETCH_WORKERS, thread_name_prefix="roster-fetch") as fetch,
        ThreadPoolExecutor(max_workers=writers, thread_name_prefix="roster-write") as write,
    ):

        def submit(chunk: list[int]) -> list[Future]:
            return [
                fetch.submit(prepare_school, source, i, known.get(i), full=full, raise_transient=raise_transient)
                for i in chunk
            ]

        pending = deque(submit(chunk) for chunk in itertools.islice(chunks, writers + 1))
        while pending:
            futures = pending.popleft()
            following = next(chunks, None)
            if following:
                pending.append(submit(following))
            outcomes = [f.result() for f in futures]
            if writers == 1:
                write_chunk(run, outcomes, now)
                finished(outcomes)
                continue
            in_flight.append((write.submit(_write_chunk_on_own_connection, run, outcomes, now), outcomes))
            while len(in_flight) >= writers:
                future, written = in_flight.popleft()
                future.result()
                finished(written)
        while in_flight:
            future, written = in_flight.popleft()
            future.result()
            finished(written)
    return summary


def write_chunk(run: ImportRun, outcomes: list[SchoolOutcome], now: dt.datetime) -> None:
    """Apply a chunk, holding its suspicious nights (``apply_chunk``), and record every school."""
    apply_chunk(outcomes, now, run)
    rest = [o for o in outcomes if not o.recorded]
    if rest:
        record_outcomes(run, rest)
    holds.end_open_holds(
        [o.basispoort_id for o in outcomes if o.status in (SchoolResultStatus.IMPORTED, SchoolResultStatus.UNCHANGED)],
        now,
    )


def _write_chunk_on_own_connection(run: ImportRun, outcomes: list[SchoolOutcome], now: dt.datetime) -> None:
    try:
        write_chunk(run, outcomes, now)
    finally:
        connection.close()


def start_run(
    source: Source, *, trigger: str, full: bool = False, only: int | None = None
) -> tuple[ImportRun, list[int]]:
    """Open a run: list the schools that allow synchronisation, and stop syncing those that withdrew.

    A school withdrew when it left ``instellingen``, or when Basispoort's ``ingetrokken`` list
    names it since the previous run (and the ``toegekend`` list does not give it back).
    """
    withdrawn_recently = _withdrawn_since_last_run(source)
    listed = [bp for bp in source.school_ids() if bp not in withdrawn_recently]
    listed_set = set(listed)
    scope = School.objects.filter(sync_permitted=True)
    if only is not None:
        scope = scope.filter(basispoort_id=only)
        ids = [only] if only in listed_set else []
    else:
        ids = listed
    withdrawn = [bp for bp in scope.values_list("basispoort_id", flat=True) if bp not in listed_set]
    run = ImportRun.objects.create(
        trigger=trigger, source=source.label[:300], full=full, schools_total=len(ids) + len(withdrawn)
    )
    if withdrawn:
        School.objects.filter(basispoort_id__in=withdrawn).update(sync_permitted=False)
        record_outcomes(run, [SchoolOutcome(bp, status=SchoolResultStatus.WITHDRAWN) for bp in withdrawn])
    return run, ids


def _withdrawn_since_last_run(source: Source) -> set[int]:
    previous = ImportRun.objects.order_by("-started_at").values_list("started_at", flat=True).first()
    if previous is None:
        return set()  # a first run imports what `instellingen` lists
    since = timezone.localdate(previous)
    withdrawn = set(source.permission_changes("ingetrokken", since))
    return withdrawn - set(source.permission_changes("toegekend", since)) if withdrawn else withdrawn


def finish_if_done(run: ImportRun) -> bool:
    """Close the run once every school has a result; true for the one caller that closed it."""
    results = SchoolImportResult.objects.filter(run=run)
    done = results.count()
    failed = results.filter(status=SchoolResultStatus.FAILED).count()
    ImportRun.objects.filter(pk=run.pk).update(schools_done=done, schools_failed=failed)
    if done < run.schools_total:
        return False
    status = ImportRunStatus.FAILED if failed else ImportRunStatus.FINISHED
    return bool(
        ImportRun.objects.filter(pk=run.pk, status=ImportRunStatus.RUNNING).update(
            status=status, finished_at=timezone.now()
        )
    )


def fail_unfinished(run: ImportRun, ids: list[int], reason: str) -> None:
    """Record every school of ``ids`` that has no result in ``run`` yet as failed with ``reason``."""
    done = set(
        SchoolImportResult.objects.filter(run=run, basispoort_id__in=ids).values_list("basispoort_id", flat=True)
    )
    record_outcomes(run, [SchoolOutcome(bp).fail(ErrorCode.UNEXPECTED, reason) for bp in ids if bp not in done])


def close_failed(run: ImportRun, reason: str) -> bool:
    """Close a run that cannot finish normally; true when this call closed it."""
    results = SchoolImportResult.objects.filter(run=run)
    return bool(
        ImportRun.objects.filter(pk=run.pk, status=ImportRunStatus.RUNNING).update(
            status=ImportRunStatus.FAILED,
            finished_at=timezone.now(),
            error=XML_UNSAFE_RE.sub("", reason)[:2000],
            schools_done=results.count(),
            schools_failed=results.filter(status=SchoolResultStatus.FAILED).count(),
        )
    )


def stale_runs(limit: dt.timedelta):
    return ImportRun.objects.filter(status=ImportRunStatus.RUNNING, started_at__lt=timezone.now() - limit)
