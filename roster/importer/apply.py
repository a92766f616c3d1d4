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
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from roster import login_codes
from roster.bulk import insert_rows, update_values
from roster.feed import SchoolDocument
from roster.importer.rows import ApplyResult, clean_text, sync_pairs
from roster.importer.sql import update_rows
from roster.importer.staff import apply_staff
from roster.models import Group, Pupil, School
from roster.signals import announce_departed_pupils, announce_returned_pupils, announce_roster_changed


def _assign(obj, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def source_timestamp(value: str | None) -> dt.datetime | None:
    try:
        return parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        return None


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
PUPIL_FIELDS = (
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
)
# Places in a pupil row as _apply_pupils reads it: school_id, basispoort_id, pk, then PUPIL_FIELDS.
_ROW_PK = 2
_ROW_VALUES = 3
_ROW_ACTIVE = _ROW_VALUES + PUPIL_FIELDS.index("active")
_ROW_GROUP = _ROW_VALUES + PUPIL_FIELDS.index("group_id")


def apply_school_document(doc: SchoolDocument, *, now: dt.datetime | None = None) -> ApplyResult:
    """Apply one school's documents, all or nothing."""
    return apply_school_documents([doc], now=now)[0]


@transaction.atomic
def apply_school_documents(docs: list[SchoolDocument], *, now: dt.datetime | None = None) -> list[ApplyResult]:
    """Apply the documents of a chunk of schools in one transaction; one result per document, in order."""
    if len({doc.basispoort_id for doc in docs}) != len(docs):
        raise ValueError("a school appears twice in one chunk")
    now = now or timezone.now()
    results = [ApplyResult() for _ in docs]
    schools = _apply_schools(docs, results)
    for school, result in zip(schools, results, strict=True):
        result.school = school
    groups = _apply_groups(docs, schools, results)
    apply_staff(docs, schools, groups, results, now)
    _apply_pupils(docs, schools, groups, results, now)
    # New pupils can log in the next morning; movers keep their code unless it clashes.
    given = login_codes.ensure_codes_for_schools(
        [s.pk for s in schools], moved=[pk for result in results for pk in result.moved_pupil_ids]
    )
    for school, result in zip(schools, results, strict=True):
        result.created["login_code"] += given[school.pk]
    announce_roster_changed([school for school, result in zip(schools, results, strict=True) if result.changed])
    return results


def _apply_schools(docs: list[SchoolDocument], results: list[ApplyResult]) -> list[School]:
    details = []
    for doc in docs:
        merged = {**doc.details, "metaResult": doc.roster.get("metaResult") or doc.details.get("metaResult")}
        # The roster document is authoritative for a closure or merger; details may lag a night behind.
        for key in ("actief", "gefuseerdNaar"):
            if key in doc.roster:
                merged[key] = doc.roster[key]
        details.append(merged)
    # NO KEY UPDATE: a coordinator linking a seat meanwhile only needs a key-share lock on the school.
    existing = {
        s.basispoort_id: s
        for s in School.objects.select_for_update(no_key=True)
        .filter(basispoort_id__in=[doc.basispoort_id for doc in docs])
        .order_by("pk")
    }
    schools, new, changed = [], [], []
    fields: list[str] = []
    for doc, data, result in zip(docs, details, results, strict=True):
        values = _school_values(data)
        fields = list(values)
        school = existing.get(doc.basispoort_id)
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


def _apply_groups(docs: list[SchoolDocument], schools: list[School], results: list[ApplyResult]) -> list[dict]:
    """Returns per school its active groups' ids by lasKey."""
    existing: dict[int, dict[str, tuple[int, tuple]]] = defaultdict(dict)
    for pk, school_id, las_key, *values in Group.objects.filter(school_id__in=[s.pk for s in schools]).values_list(
        "pk", "school_id", "las_key", *GROUP_FIELDS
    ):
        existing[school_id][las_key] = (pk, tuple(values))
    maps, new, changed = [], [], []
    for doc, school, result in zip(docs, schools, results, strict=True):
        have = existing.get(school.pk, {})
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
    docs: list[SchoolDocument], schools: list[School], groups: list[dict], results: list[ApplyResult], now: dt.datetime
) -> None:
    school_ids = [s.pk for s in schools]
    # Rows as read, (school_id, basispoort_id, pk, *PUPIL_FIELDS): compared by their slice, never rebuilt.
    existing: dict[int, dict[int, tuple]] = defaultdict(dict)
    for row in Pupil.objects.filter(school_id__in=school_ids).values_list(
        "school_id", "basispoort_id", "pk", *PUPIL_FIELDS
    ):
        existing[row[0]][row[1]] = row
    text = clean_text
    new, changed, left = [], [], []
    listed: list[dict[int, dict]] = []
    left_by_school: list[list[int]] = []
    back_by_school: list[list[int]] = []
    for doc, school, result, by_key in zip(docs, schools, results, groups, strict=True):
        have = existing.get(school.pk, {})
        seen: dict[int, dict] = {}
        back: list[int] = []
        for item in doc.roster.get("leerlingen") or []:
            get = item.get
            raw_id = get("id")
            if raw_id is None:
                continue
            bp = int(raw_id)
            person = get("persoonsgegevens") or {}
            name = person.get
            group_id = by_key.get(text(get("groep")))
            # The order of PUPIL_FIELDS; the names as _names reads them.
            values = (
                text(name("voornaam")),
                text(name("voorvoegsel")),
                text(name("achternaam")),
                text(name("voorletters")),
                text(get("eckid")),
                text(get("lasKey")),
                text(get("jaargroep")),
                group_id,
                True,
                None,
            )
            seen[bp] = item
            found = have.get(bp)
            if found is None:
                new.append((school.pk, bp, *values))
                result.created["pupil"] += 1
                continue
            if found[_ROW_VALUES:] != values:
                changed.append((found[_ROW_PK], *values))
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
    new_ids = insert_rows(Pupil, ("school_id", "basispoort_id", *PUPIL_FIELDS), new, ids=True)
    update_values(Pupil, PUPIL_FIELDS, changed)
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
        have = existing.get(school.pk, {})
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
