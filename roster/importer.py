"""The roster import: apply each school's Basispoort document to the database, all or nothing.

Keys are the feed's stable ids: groups by ``lasKey``, staff and pupils by Basispoort id.
Only rows that changed are written; whatever left the document is deactivated, not deleted.

A run (``sync_roster``, or the nightly Celery tasks in ``roster.tasks``) fetches, parses and
validates schools in threads, skips those whose ``mutationTimestamp`` did not change, applies
the rest in chunks of schools per transaction (a chunk that fails in the database is retried
school by school), and records one ``SchoolImportResult`` per school.
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
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from licenses.actions import release_seats_of_departed_pupils
from roster import login_codes, signals
from roster.feed import SchoolDocument, Source, SourceError, TransientSourceError
from roster.models import (
    Appointment,
    AppointmentRole,
    Group,
    ImportRun,
    ImportRunStatus,
    Pupil,
    Role,
    School,
    SchoolImportResult,
    SchoolResultStatus,
    Staff,
)
from roster.validation import (
    XML_UNSAFE_RE,
    ErrorCode,
    InvalidSchool,
    mutation_timestamp,
    parse_school,
    validate_school,
)

logger = logging.getLogger(__name__)


@dataclass
class ApplyResult:
    school: School | None = None
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    deactivated: Counter = field(default_factory=Counter)
    moved_pupils: int = 0
    moved_pupil_ids: list[int] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(n for counter in (self.created, self.updated, self.deactivated) for n in counter.values())


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _names(person: dict) -> dict[str, str]:
    data = person.get("persoonsgegevens") or {}
    return {
        "first_name": _text(data.get("voornaam")),
        "infix": _text(data.get("voorvoegsel")),
        "last_name": _text(data.get("achternaam")),
        "initials": _text(data.get("voorletters")),
    }


def _assign(obj, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def update_rows(model, rows: list, fields: list[str]) -> None:
    """Write changed rows with one ``UPDATE … FROM (VALUES …)``: Django's bulk_update builds a CASE
    per field and row, which costs more than the rest of a night's import together."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update(rows, fields)
        return
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    assignments = ", ".join(f'"{f.column}" = v."{f.column}"::{f.db_type(connection)}' for f in columns)
    row_sql = "(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"
    names = ", ".join(f'"{f.column}"' for f in columns)
    sql = (
        f'UPDATE "{meta.db_table}" AS t SET {assignments} '  # noqa: S608 - names come from the model, values are parameters
        f"FROM (VALUES {', '.join([row_sql] * len(rows))}) AS v(id, {names}) WHERE t.id = v.id::bigint"
    )
    params = [
        value
        for row in rows
        for value in (row.pk, *(f.get_db_prep_save(getattr(row, f.attname), connection) for f in columns))
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _school_values(details: dict) -> dict[str, Any]:
    mutation = (details.get("metaResult") or {}).get("mutationTimestamp")
    return {
        "name": _text(details.get("naam")) or "?",
        "street": _text(details.get("straat")),
        "house_number": _text(details.get("huisnummer")),
        "house_number_suffix": _text(details.get("huisnummertoevoeging")),
        "postcode": _text(details.get("postcode")),
        "city": _text(details.get("woonplaats")),
        # A malformed code is warned about by validation; cut to the column so it cannot fail the school.
        "brin": _text(details.get("brincode"))[:4],
        "dependancecode": _text(details.get("dependancecode"))[:2],
        "schoolkey": _text(details.get("schoolkey")),
        "instelling_ref": _text(details.get("instellingRef")),
        "bestuurscode": _text(details.get("bestuurscode")),
        "active": details.get("actief", True) is not False and not details.get("gefuseerdNaar"),
        "sync_permitted": True,
        "mutation_timestamp": source_timestamp(mutation),
    }


@transaction.atomic
def apply_school_document(doc: SchoolDocument, *, now: dt.datetime | None = None) -> ApplyResult:
    now = now or timezone.now()
    result = ApplyResult()
    school = _apply_school(doc, result)
    result.school = school
    groups = _apply_groups(school, doc.roster, result)
    _apply_staff(school, doc.roster, groups, result, now)
    _apply_pupils(school, doc.roster, groups, result, now)
    # New pupils can log in the next morning; movers keep their code unless it clashes.
    result.created["login_code"] += login_codes.ensure_codes(school, moved=result.moved_pupil_ids)
    if result.changed:
        signals.roster_changed.send(sender=School, school_id=school.pk)
    return result


def _apply_school(doc: SchoolDocument, result: ApplyResult) -> School:
    details = {**doc.details, "metaResult": doc.roster.get("metaResult") or doc.details.get("metaResult")}
    # The roster document is authoritative for a closure or merger; details may lag a night behind.
    for key in ("actief", "gefuseerdNaar"):
        if key in doc.roster:
            details[key] = doc.roster[key]
    values = _school_values(details)
    # NO KEY UPDATE: a coordinator linking a seat meanwhile only needs a key-share lock on the school.
    school = School.objects.select_for_update(no_key=True).filter(basispoort_id=doc.basispoort_id).first()
    if school is None:
        school = School.objects.create(basispoort_id=doc.basispoort_id, **values)
        result.created["school"] += 1
    elif _assign(school, values):
        school.save()
        result.updated["school"] += 1
    merged_into = details.get("gefuseerdNaar")
    target = School.objects.filter(basispoort_id=merged_into).first() if merged_into else None
    if school.merged_into_id != (target.pk if target else None):
        school.merged_into = target
        school.save(update_fields=["merged_into"])
    return school


def _apply_groups(school: School, roster: dict, result: ApplyResult) -> dict[str, Group]:
    existing = {g.las_key: g for g in Group.objects.filter(school=school)}
    seen: dict[str, Group] = {}
    to_create, to_update = [], []
    for key, is_subgroup in (("groepen", False), ("subgroepen", True)):
        for item in roster.get(key) or []:
            las_key = _text(item.get("lasKey"))
            if not las_key or las_key in seen:
                continue
            values = {
                "name": _text(item.get("naam")) or las_key,
                "jaargroep": _text(item.get("jaargroep")),
                "description": _text(item.get("omschrijving")),
                "is_subgroup": is_subgroup,
                "active": True,
            }
            group = existing.get(las_key)
            if group is None:
                group = Group(school=school, las_key=las_key, **values)
                to_create.append(group)
            elif _assign(group, values):
                to_update.append(group)
            seen[las_key] = group
    gone = [g for key, g in existing.items() if key not in seen and g.active]
    for group in gone:
        group.active = False
    Group.objects.bulk_create(to_create)
    update_rows(Group, to_update + gone, ["name", "jaargroep", "description", "is_subgroup", "active"])
    result.created["group"] += len(to_create)
    result.updated["group"] += len(to_update)
    result.deactivated["group"] += len(gone)
    return seen


def _apply_staff(school: School, roster: dict, groups: dict[str, Group], result: ApplyResult, now: dt.datetime) -> None:
    people = [p for p in roster.get("medewerkers") or [] if p.get("id") is not None]
    ids = [int(p["id"]) for p in people]
    staff_by_id = {s.basispoort_id: s for s in Staff.objects.filter(basispoort_id__in=ids)}
    new_staff, changed_staff = [], []
    for person in people:
        values = {**_names(person), "eckid": _text(person.get("eckid"))}
        staff = staff_by_id.get(int(person["id"]))
        if staff is None:
            staff = Staff(basispoort_id=int(person["id"]), **values)
            staff_by_id[staff.basispoort_id] = staff
            new_staff.append(staff)
        elif _assign(staff, values):
            changed_staff.append(staff)
    staff_fields = ["first_name", "infix", "last_name", "initials", "eckid"]
    # Another school's import may create the same person at the same moment; sorted ids keep
    # two such imports from locking each other's rows in opposite orders.
    new_staff.sort(key=lambda s: s.basispoort_id)
    Staff.objects.bulk_create(
        new_staff, update_conflicts=True, unique_fields=["basispoort_id"], update_fields=staff_fields
    )
    changed_staff.sort(key=lambda s: s.basispoort_id)
    update_rows(Staff, changed_staff, staff_fields)
    result.created["staff"] += len(new_staff)
    result.updated["staff"] += len(changed_staff)

    appointments = {a.staff_id: a for a in Appointment.objects.filter(school=school)}
    wanted: dict[int, dict] = {}
    new_appts, changed_appts = [], []
    for person in people:
        staff = staff_by_id[int(person["id"])]
        values = {
            "las_key": _text(person.get("lasKey")),
            "email": _text(person.get("emailadres")).lower(),
            "end_date": parse_date(person["einddatum"]) if person.get("einddatum") else None,
            "active": True,
            "inactive_since": None,
        }
        appt = appointments.get(staff.pk)
        if appt is None:
            appt = Appointment(school=school, staff=staff, **values)
            appointments[staff.pk] = appt
            new_appts.append(appt)
        elif _assign(appt, values):
            changed_appts.append(appt)
        wanted[staff.pk] = person
    gone = [a for staff_id, a in appointments.items() if staff_id not in wanted and a.active]
    for appt in gone:
        appt.active = False
        appt.inactive_since = now  # the retention period (AVG) counts from here
    # Free a las_key before another appointment takes it over in the same run.
    update_rows(Appointment, gone, ["active", "inactive_since"])
    Appointment.objects.filter(pk__in=[a.pk for a in gone]).update(las_key="")
    update_rows(Appointment, changed_appts, ["las_key", "email", "end_date", "active", "inactive_since"])
    Appointment.objects.bulk_create(new_appts)
    result.created["appointment"] += len(new_appts)
    result.updated["appointment"] += len(changed_appts)
    result.deactivated["appointment"] += len(gone)

    active = {staff_id: appointments[staff_id] for staff_id in wanted}
    role_rows = set(AppointmentRole.objects.filter(appointment__school=school).values_list("appointment_id", "role"))
    wanted_roles = {
        (active[staff_id].pk, role)
        for staff_id, person in wanted.items()
        for role in person.get("rollen") or []
        if role in Role.values
    }
    _sync_pairs(AppointmentRole, "appointment_id", "role", role_rows, wanted_roles, result, "role")

    through = Appointment.groups.through
    member_rows = set(through.objects.filter(appointment__school=school).values_list("appointment_id", "group_id"))
    wanted_members = {
        (active[staff_id].pk, groups[key].pk)
        for staff_id, person in wanted.items()
        for key in (person.get("groepen") or []) + (person.get("subgroepen") or [])
        if key in groups
    }
    _sync_pairs(through, "appointment_id", "group_id", member_rows, wanted_members, result, "teacher_group")


def _sync_pairs(model, left: str, right: str, have: set, want: set, result: ApplyResult, label: str) -> None:
    remove = have - want
    add = want - have
    if remove:
        for left_id in {pair[0] for pair in remove}:
            model.objects.filter(**{left: left_id, f"{right}__in": [p[1] for p in remove if p[0] == left_id]}).delete()
        result.deactivated[label] += len(remove)
    if add:
        model.objects.bulk_create([model(**{left: a, right: b}) for a, b in add])
        result.created[label] += len(add)


def _apply_pupils(
    school: School, roster: dict, groups: dict[str, Group], result: ApplyResult, now: dt.datetime
) -> None:
    existing = {p.basispoort_id: p for p in Pupil.objects.filter(school=school)}
    seen: dict[int, dict] = {}
    to_create, to_update = [], []
    fields = [
        "first_name",
        "infix",
        "last_name",
        "initials",
        "eckid",
        "las_key",
        "jaargroep",
        "group_id",
        "active",
        "left_at",
    ]
    for item in roster.get("leerlingen") or []:
        if item.get("id") is None:
            continue
        basispoort_id = int(item["id"])
        group = groups.get(_text(item.get("groep")))
        values = {
            **_names(item),
            "eckid": _text(item.get("eckid")),
            "las_key": _text(item.get("lasKey")),
            "jaargroep": _text(item.get("jaargroep")),
            # The id, not the object: comparing objects would load every pupil's current group.
            "group_id": group.pk if group else None,
            "active": True,
            "left_at": None,
        }
        pupil = existing.get(basispoort_id)
        if pupil is None:
            pupil = Pupil(school=school, basispoort_id=basispoort_id, **values)
            to_create.append(pupil)
        else:
            was_in = pupil.group_id if pupil.active else None
            if _assign(pupil, values):
                to_update.append(pupil)
                if was_in is not None and pupil.group_id is not None and was_in != pupil.group_id:
                    result.moved_pupils += 1
                    result.moved_pupil_ids.append(pupil.pk)
        seen[basispoort_id] = item
    left = [p for key, p in existing.items() if key not in seen and p.active]
    for pupil in left:
        pupil.active = False
        pupil.left_at = now
    _insert_pupils(school, to_create)
    update_rows(Pupil, to_update + left, fields)
    result.created["pupil"] += len(to_create)
    result.updated["pupil"] += len(to_update)
    result.deactivated["pupil"] += len(left)

    by_id = {**existing, **{p.basispoort_id: p for p in to_create}}
    through = Pupil.subgroups.through
    have = set(through.objects.filter(pupil__school=school).values_list("pupil_id", "group_id"))
    want = {
        (by_id[bp_id].pk, groups[key].pk)
        for bp_id, item in seen.items()
        for key in item.get("subgroepen") or []
        if key in groups
    }
    _sync_pairs(through, "pupil_id", "group_id", have, want, result, "pupil_subgroup")
    if left:
        result.deactivated["seat"] += release_seats_of_departed_pupils(school, [p.pk for p in left])


PUPIL_COPY_COLUMNS = [
    "school_id",
    "basispoort_id",
    "eckid",
    "las_key",
    "first_name",
    "infix",
    "last_name",
    "initials",
    "jaargroep",
    "group_id",
    "active",
    "left_at",
]


def _insert_pupils(school: School, pupils: list[Pupil]) -> None:
    """New pupils are most of a first import's rows; PostgreSQL's COPY takes them several times faster than INSERT."""
    if connection.vendor != "postgresql" or len(pupils) < 50:
        Pupil.objects.bulk_create(pupils)
        return
    columns = ", ".join(PUPIL_COPY_COLUMNS)
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY roster_pupil ({columns}) FROM STDIN") as copy:
        for pupil in pupils:
            copy.write_row([getattr(pupil, column) for column in PUPIL_COPY_COLUMNS])
    ids = dict(
        Pupil.objects.filter(school=school, basispoort_id__in=[p.basispoort_id for p in pupils]).values_list(
            "basispoort_id", "pk"
        )
    )
    for pupil in pupils:
        pupil.pk = ids[pupil.basispoort_id]
        pupil._state.adding = False


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

    def fail(self, code: str, detail: str) -> SchoolOutcome:
        self.status, self.error_code, self.error, self.doc = SchoolResultStatus.FAILED, code, detail, None
        return self


def source_timestamp(value: str | None) -> dt.datetime | None:
    try:
        return parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        return None


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


def apply_chunk(outcomes: list[SchoolOutcome], now: dt.datetime) -> None:
    """Apply the validated schools of a chunk in one transaction; if that fails, each school alone."""
    todo = [o for o in outcomes if o.doc is not None]
    if not todo:
        return
    try:
        with transaction.atomic():
            _relax_commit()
            for outcome in todo:
                _apply_timed(outcome, now)
    except Exception:
        logger.warning("Chunk of %d schools failed; retrying them one by one", len(todo), exc_info=True)
        for outcome in todo:
            outcome.result, outcome.status = None, ""
            try:
                with transaction.atomic():
                    _relax_commit()
                    _apply_timed(outcome, now)
            except Exception as exc:
                logger.exception("Roster import of school %s failed", outcome.basispoort_id)
                outcome.fail(ErrorCode.DATABASE, f"{type(exc).__name__}: {exc}")


def _relax_commit() -> None:
    """Don't wait for the WAL flush at commit: a crash can lose only the last moments of an import,
    which is idempotent and simply applies them again on the next run; it never corrupts anything."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _apply_timed(outcome: SchoolOutcome, now: dt.datetime) -> None:
    started = time.perf_counter()
    outcome.result = apply_school_document(outcome.doc, now=now)
    outcome.status = SchoolResultStatus.IMPORTED
    outcome.duration += time.perf_counter() - started


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

    def add(self, outcomes: list[SchoolOutcome]) -> None:
        for o in outcomes:
            self.counts[o.status] += 1
            if o.status == SchoolResultStatus.FAILED:
                self.failed.append((o.basispoort_id, o.error))


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
    apply_chunk(outcomes, now)
    record_outcomes(run, outcomes)


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
