"""Applying Basispoort documents to the database, a chunk of schools at a time, all or nothing.

Keys are the feed's stable ids: groups by ``lasKey``, staff and pupils by Basispoort id.
Only rows that changed are written; whatever left the document is deactivated, not deleted.
Pupils who left are announced to the apps above (``roster.signals``), which free their seats;
pupils who are back are announced too, and get those seats back where one is free.
The staff and their appointments are ``roster.importer.staff``; what the steps share is
``roster.importer.rows``.

The statements run per chunk, not per school: the existing groups, staff, appointments,
pupils and pairs of all the chunk's schools are read with one query each, as plain tuples, and
each table is written once (``roster.bulk``). So a chunk costs the same number of round trips
whether it holds one school or fifty. The whole chunk is one transaction; the caller
(``roster.importer.run.apply_chunk``) retries a failed chunk school by school, so one bad school
never takes the others with it and never leaves half its changes behind.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from roster import holds, login_codes
from roster.bulk import insert_rows, update_values
from roster.eckid import fingerprint as eckid_fingerprint
from roster.eckid import seal as seal_eckid
from roster.feed import SchoolDocument, shape
from roster.feed.shape import stored_fields
from roster.feed.validation import source_timestamp
from roster.importer.rows import ApplyResult, clean_text, stored_values, sync_pairs
from roster.importer.sql import update_rows
from roster.importer.staff import APPOINTMENT_FIELDS, apply_staff
from roster.models import Appointment, AppointmentRole, Group, Pupil, Role, School
from roster.signals import announce_departed_pupils, announce_returned_pupils, announce_roster_changed

logger = logging.getLogger("roster.importer")


def _assign(obj, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _school_values(details: dict) -> dict[str, Any]:
    mutation = (details.get("metaResult") or {}).get("mutationTimestamp")
    return {
        "name": clean_text(details.get("naam")) or "?",
        "street": clean_text(details.get("straat")),
        "house_number": clean_text(details.get("huisnummer")),
        "house_number_suffix": clean_text(details.get("huisnummertoevoeging")),
        "postcode": clean_text(details.get("postcode")),
        "city": clean_text(details.get("woonplaats")),
        # A malformed code is warned about by validation; cut to the column so it cannot fail the school.
        "brin": clean_text(details.get("brincode"))[:4],
        "dependancecode": clean_text(details.get("dependancecode"))[:2],
        "schoolkey": clean_text(details.get("schoolkey")),
        "instelling_ref": clean_text(details.get("instellingRef")),
        "bestuurscode": clean_text(details.get("bestuurscode")),
        "active": details.get("actief", True) is not False and not details.get("gefuseerdNaar"),
        "sync_permitted": True,
        "mutation_timestamp": source_timestamp(mutation),
    }


GROUP_FIELDS = ("name", "jaargroep", "description", "is_subgroup", "active")
# A pupil's stored fields come from the feed's shape (``roster.feed.shape.PUPIL``): every field
# there that names a column, then what the importer decides itself. The ECK iD names no column: it
# is compared by its keyed fingerprint, and the sealed value is written beside it (SEALED_ECKID)
# only for new and changed pupils, since sealing is not deterministic.
_PUPIL_STORED = stored_fields(shape.PUPIL)
PUPIL_FIELDS = (
    *(column for _path, column, _kind in _PUPIL_STORED),
    "eckid_fingerprint",
    "group_id",
    "active",
    "left_at",
)
SEALED_ECKID = "eckid_encrypted"
# Places in a pupil row as _apply_pupils reads it: school_id, basispoort_id, pk, then PUPIL_FIELDS.
_ROW_PK = 2
_ROW_VALUES = 3
_ROW_ACTIVE = _ROW_VALUES + PUPIL_FIELDS.index("active")
_ROW_GROUP = _ROW_VALUES + PUPIL_FIELDS.index("group_id")
_ROW_YEAR = _ROW_VALUES + PUPIL_FIELDS.index("jaargroep")
_GROUP_ACTIVE = GROUP_FIELDS.index("active")
_APPOINTMENT_ACTIVE = APPOINTMENT_FIELDS.index("active")


def apply_school_document(doc: SchoolDocument, *, now: dt.datetime | None = None) -> ApplyResult:
    """Apply one school's documents, all or nothing."""
    return apply_school_documents([doc], now=now)[0]


@dataclass
class Existing:
    """What the chunk's schools have now, read once at the start of the chunk's transaction: the
    importer compares the documents with these rows, and so does the held-night check."""

    schools: dict[int, School] = field(default_factory=dict)  # by Basispoort id, locked
    groups: dict[int, dict[str, tuple[int, tuple]]] = field(default_factory=lambda: defaultdict(dict))
    appointments: dict[int, dict[int, tuple[int, tuple]]] = field(default_factory=lambda: defaultdict(dict))
    appointment_staff: dict[int, int] = field(default_factory=dict)  # appointment id → staff Basispoort id
    roles: dict[tuple[int, str], int] = field(default_factory=dict)  # (appointment id, role) → row id
    pupils: dict[int, dict[int, tuple]] = field(default_factory=lambda: defaultdict(dict))

    def today(self) -> holds.Today:
        """The active part, as the held-night check compares it."""
        today = holds.Today()
        coordinator = Role.ICT_COORDINATOR.value
        for bp, school in self.schools.items():
            today.schools[bp] = (school.pk, school.mutation_timestamp)
        for school_id, pupils in self.pupils.items():
            today.pupils[school_id] = {bp: row[_ROW_YEAR] for bp, row in pupils.items() if row[_ROW_ACTIVE]}
        for school_id, groups in self.groups.items():
            today.groups[school_id] = {las_key: pk for las_key, (pk, values) in groups.items() if values[_GROUP_ACTIVE]}
        for school_id, appointments in self.appointments.items():
            today.staff[school_id] = {
                self.appointment_staff[pk]: (pk, coordinator) in self.roles
                for pk, values in appointments.values()
                if values[_APPOINTMENT_ACTIVE]
            }
        return today


def read_existing(docs: list[SchoolDocument]) -> Existing:
    """The chunk's schools (locked), their groups, appointments with their roles, and pupils: one
    query each, plain tuples. Must run in the transaction that applies the chunk."""
    existing = Existing()
    # NO KEY UPDATE: a coordinator linking a seat meanwhile only needs a key-share lock on the school.
    for school in (
        School.objects.select_for_update(no_key=True)
        .filter(basispoort_id__in=[doc.basispoort_id for doc in docs])
        .order_by("pk")
    ):
        existing.schools[school.basispoort_id] = school
    school_ids = [s.pk for s in existing.schools.values()]
    if not school_ids:
        return existing
    for pk, school_id, las_key, *values in Group.objects.filter(school_id__in=school_ids).values_list(
        "pk", "school_id", "las_key", *GROUP_FIELDS
    ):
        existing.groups[school_id][las_key] = (pk, tuple(values))
    for pk, school_id, staff_id, staff_bp, *values in Appointment.objects.filter(school_id__in=school_ids).values_list(
        "pk", "school_id", "staff_id", "staff__basispoort_id", *APPOINTMENT_FIELDS
    ):
        existing.appointments[school_id][staff_id] = (pk, tuple(values))
        existing.appointment_staff[pk] = staff_bp
    # By the appointments' ids rather than a join on their school: an index lookup per
    # appointment instead of a scan of every school's pairs.
    existing.roles = {
        (appointment_id, role): pk
        for pk, appointment_id, role in AppointmentRole.objects.filter(
            appointment_id__in=sorted(existing.appointment_staff)
        ).values_list("pk", "appointment_id", "role")
    }
    # Rows as read, (school_id, basispoort_id, pk, *PUPIL_FIELDS): compared by their slice, never rebuilt.
    for row in Pupil.objects.filter(school_id__in=school_ids).values_list(
        "school_id", "basispoort_id", "pk", *PUPIL_FIELDS
    ):
        existing.pupils[row[0]][row[1]] = row
    return existing


@transaction.atomic
def apply_school_documents(
    docs: list[SchoolDocument], *, now: dt.datetime | None = None, screen: bool = False
) -> list[ApplyResult]:
    """Apply the documents of a chunk of schools in one transaction; one result per document, in order.

    With ``screen``, the held-night check (``roster.holds``) first compares the documents with the
    rows the import reads anyway: a held school's result carries its hold (``ApplyResult.held``),
    and nothing of that school is written.
    """
    if len({doc.basispoort_id for doc in docs}) != len(docs):
        raise ValueError("a school appears twice in one chunk")
    now = now or timezone.now()
    existing = read_existing(docs)
    held = _screen(docs, existing, now) if screen and settings.ROSTER_HOLD_ENABLED else {}
    results = [ApplyResult(held=held.get(doc.basispoort_id)) for doc in docs]
    applied = [(doc, result) for doc, result in zip(docs, results, strict=True) if result.held is None]
    if applied:
        _apply([doc for doc, _r in applied], existing, [result for _d, result in applied], now)
    return results


def _screen(docs: list[SchoolDocument], existing: Existing, now: dt.datetime) -> dict[int, holds.Held]:
    """The held-night check of a chunk. What it costs is logged at DEBUG: ``bench/roster_sync.py
    --hold-check`` sums it over the night."""
    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    wall, cpu = time.perf_counter(), time.thread_time()
    with connection.execute_wrapper(count):
        held = holds.screen(docs, existing.today(), now)
    logger.debug(
        "Held-night check of %d schools: %.6f s wall, %.6f s CPU, %d queries, %d held",
        len(docs),
        time.perf_counter() - wall,
        time.thread_time() - cpu,
        queries,
        len(held),
    )
    return held


def _apply(docs: list[SchoolDocument], existing: Existing, results: list[ApplyResult], now: dt.datetime) -> None:
    schools = _apply_schools(docs, existing, results)
    for school, result in zip(schools, results, strict=True):
        result.school = school
    groups = _apply_groups(docs, schools, existing, results)
    apply_staff(docs, schools, groups, results, now, existing.appointments, existing.roles)
    _apply_pupils(docs, schools, groups, existing, results, now)
    # New pupils can log in the next morning; movers keep their code unless it clashes.
    given = login_codes.ensure_codes_for_schools(
        [s.pk for s in schools], moved=[pk for result in results for pk in result.moved_pupil_ids]
    )
    for school, result in zip(schools, results, strict=True):
        result.created["login_code"] += given[school.pk]
    announce_roster_changed([school for school, result in zip(schools, results, strict=True) if result.changed])


def _apply_schools(docs: list[SchoolDocument], existing: Existing, results: list[ApplyResult]) -> list[School]:
    details = []
    for doc in docs:
        merged = {**doc.details, "metaResult": doc.roster.get("metaResult") or doc.details.get("metaResult")}
        # The roster document is authoritative for a closure or merger; details may lag a night behind.
        for key in ("actief", "gefuseerdNaar"):
            if key in doc.roster:
                merged[key] = doc.roster[key]
        details.append(merged)
    schools, new, changed = [], [], []
    fields: list[str] = []
    for doc, data, result in zip(docs, details, results, strict=True):
        values = _school_values(data)
        fields = list(values)
        school = existing.schools.get(doc.basispoort_id)
        if school is None:
            school = School(basispoort_id=doc.basispoort_id, **values)
            new.append(school)
            result.created["school"] += 1
        elif _assign(school, values):
            changed.append(school)
            result.updated["school"] += 1
        schools.append(school)
    School.objects.bulk_create(new)
    update_rows(School, changed, fields)
    merged_into = [data.get("gefuseerdNaar") for data in details]
    targets = {}
    if any(merged_into):
        targets = dict(
            School.objects.filter(basispoort_id__in=[bp for bp in merged_into if bp]).values_list("basispoort_id", "pk")
        )
    moved = []
    for school, target in zip(schools, merged_into, strict=True):
        target_id = targets.get(target) if target else None
        if school.merged_into_id != target_id:
            school.merged_into_id = target_id
            moved.append(school)
    update_rows(School, moved, ["merged_into"])
    return schools


def _apply_groups(
    docs: list[SchoolDocument], schools: list[School], existing: Existing, results: list[ApplyResult]
) -> list[dict]:
    """Returns per school its active groups' ids by lasKey."""
    maps, new, changed = [], [], []
    for doc, school, result in zip(docs, schools, results, strict=True):
        have = existing.groups.get(school.pk, {})
        seen: dict[str, int] = {}
        pending: list[str] = []  # new groups: seen holds their place in ``new`` until they have an id
        for key, is_subgroup in (("groepen", False), ("subgroepen", True)):
            for item in doc.roster.get(key) or []:
                las_key = clean_text(item.get("lasKey"))
                if not las_key or las_key in seen:
                    continue
                values = (
                    clean_text(item.get("naam")) or las_key,
                    clean_text(item.get("jaargroep")),
                    clean_text(item.get("omschrijving")),
                    is_subgroup,
                    True,
                )
                found = have.get(las_key)
                if found is None:
                    seen[las_key] = len(new)
                    pending.append(las_key)
                    new.append((school.pk, las_key, *values))
                    result.created["group"] += 1
                    continue
                seen[las_key] = found[0]
                if found[1] != values:
                    changed.append((found[0], *values))
                    result.updated["group"] += 1
        for las_key, (pk, values) in have.items():
            if las_key not in seen and values[-1]:
                changed.append((pk, *values[:-1], False))
                result.deactivated["group"] += 1
        maps.append((seen, pending))
    new_ids = insert_rows(Group, ("school_id", "las_key", *GROUP_FIELDS), new, ids=True)
    update_values(Group, GROUP_FIELDS, changed)
    for seen, pending in maps:
        for las_key in pending:
            seen[las_key] = new_ids[seen[las_key]]
    return [seen for seen, _pending in maps]


def _apply_pupils(
    docs: list[SchoolDocument],
    schools: list[School],
    groups: list[dict],
    existing: Existing,
    results: list[ApplyResult],
    now: dt.datetime,
) -> None:
    school_ids = [s.pk for s in schools]
    text = clean_text
    new, changed, left = [], [], []
    listed: list[dict[int, dict]] = []
    left_by_school: list[list[int]] = []
    back_by_school: list[list[int]] = []
    for doc, school, result, by_key in zip(docs, schools, results, groups, strict=True):
        have = existing.pupils.get(school.pk, {})
        seen: dict[int, dict] = {}
        back: list[int] = []
        for item in doc.roster.get("leerlingen") or []:
            get = item.get
            raw_id = get("id")
            if raw_id is None:
                continue
            bp = int(raw_id)
            group_id = by_key.get(text(get("groep")))
            eckid = text(get("eckid"))
            values = (*stored_values(item, _PUPIL_STORED), eckid_fingerprint(eckid), group_id, True, None)
            seen[bp] = item
            found = have.get(bp)
            if found is None:
                new.append((school.pk, bp, *values, seal_eckid(eckid)[0]))
                result.created["pupil"] += 1
                continue
            if found[_ROW_VALUES:] != values:
                changed.append((found[_ROW_PK], *values, seal_eckid(eckid)[0]))
                result.updated["pupil"] += 1
                if not found[_ROW_ACTIVE]:
                    back.append(found[_ROW_PK])
                was_in = found[_ROW_GROUP] if found[_ROW_ACTIVE] else None
                if was_in is not None and group_id is not None and was_in != group_id:
                    result.moved_pupils += 1
                    result.moved_pupil_ids.append(found[_ROW_PK])
        gone = [row[_ROW_PK] for bp, row in have.items() if row[_ROW_ACTIVE] and bp not in seen]
        left.extend((pk, False, now) for pk in gone)
        result.deactivated["pupil"] += len(gone)
        listed.append(seen)
        left_by_school.append(gone)
        back_by_school.append(back)
    new_ids = insert_rows(Pupil, ("school_id", "basispoort_id", *PUPIL_FIELDS, SEALED_ECKID), new, ids=True)
    update_values(Pupil, (*PUPIL_FIELDS, SEALED_ECKID), changed)
    update_values(Pupil, ("active", "left_at"), left)

    # Subgroups: few pupils have any, so only theirs are looked up (and counted for their school).
    new_pk = {(row[0], row[1]): pk for pk, row in zip(new_ids, new, strict=True)}
    by_school = {s.pk: r for s, r in zip(schools, results, strict=True)}
    owner: dict[int, ApplyResult] = {}
    through = Pupil.subgroups.through
    have_pairs = {}
    for pk, pupil_id, group_id, school_id in through.objects.filter(pupil__school_id__in=school_ids).values_list(
        "pk", "pupil_id", "group_id", "pupil__school_id"
    ):
        have_pairs[(pupil_id, group_id)] = pk
        owner[pupil_id] = by_school[school_id]
    want = set()
    for school, result, seen, by_key in zip(schools, results, listed, groups, strict=True):
        have = existing.pupils.get(school.pk, {})
        for bp, item in seen.items():
            keys = item.get("subgroepen")
            if not keys:
                continue
            found = have.get(bp)
            pupil_id = found[_ROW_PK] if found is not None else new_pk[(school.pk, bp)]
            owner[pupil_id] = result
            want.update((pupil_id, by_key[key]) for key in keys if key in by_key)
    sync_pairs(through, ("pupil_id", "group_id"), have_pairs, want, owner, "pupil_subgroup")
    for school, result, gone, back in zip(schools, results, left_by_school, back_by_school, strict=True):
        if gone:
            result.deactivated["seat"] += announce_departed_pupils(school, gone)
        if back:
            # A pupil back at the school gets back the seats the departure freed, where one is free.
            result.created["seat"] += announce_returned_pupils(school, back)
