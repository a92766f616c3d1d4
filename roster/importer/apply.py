"""Applying Basispoort documents to the database, a chunk of schools at a time, all or nothing.

Keys are the feed's stable ids: groups by ``lasKey``, staff and pupils by Basispoort id.
Only rows that changed are written; whatever left the document is deactivated, not deleted.
Pupils who left are announced to the apps above (``roster.signals``), which free their seats.

The statements run per chunk, not per school: the existing groups, staff, appointments,
pupils and pairs of all the chunk's schools are read with one query each, as plain tuples, and
each table is written once (``roster.bulk``). So a chunk costs the same number of round trips
whether it holds one school or fifty. The whole chunk is one transaction; the caller
(``roster.importer.run.apply_chunk``) retries a failed chunk school by school, so one bad school
never takes the others with it and never leaves half its changes behind.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from roster import login_codes
from roster.bulk import delete_pks, insert_rows, update_values
from roster.feed import SchoolDocument
from roster.importer.sql import update_rows
from roster.models import (
    Appointment,
    AppointmentRole,
    Group,
    Pupil,
    Role,
    School,
    Staff,
)
from roster.signals import announce_departed_pupils, announce_roster_changed


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


def _names(person: dict) -> tuple[str, str, str, str]:
    """first_name, infix, last_name, initials."""
    data = person.get("persoonsgegevens") or {}
    return (
        _text(data.get("voornaam")),
        _text(data.get("voorvoegsel")),
        _text(data.get("achternaam")),
        _text(data.get("voorletters")),
    )


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


# Role.values builds its list anew on every use; the import asks once per role of every staff member.
_ROLES = frozenset(Role.values)
GROUP_FIELDS = ("name", "jaargroep", "description", "is_subgroup", "active")
STAFF_FIELDS = ("first_name", "infix", "last_name", "initials", "eckid")
APPOINTMENT_FIELDS = ("las_key", "email", "end_date", "active", "inactive_since")
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
    _apply_staff(docs, schools, groups, results, now)
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
                las_key = _text(item.get("lasKey"))
                if not las_key or las_key in seen:
                    continue
                values = (
                    _text(item.get("naam")) or las_key,
                    _text(item.get("jaargroep")),
                    _text(item.get("omschrijving")),
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


def _apply_staff(
    docs: list[SchoolDocument], schools: list[School], groups: list[dict], results: list[ApplyResult], now: dt.datetime
) -> None:
    # A person listed twice in one document counts once, with the values listed last.
    people = [{int(p["id"]): p for p in doc.roster.get("medewerkers") or [] if p.get("id") is not None} for doc in docs]
    wanted: dict[int, tuple] = {}
    first_listed: dict[int, ApplyResult] = {}
    for listed, result in zip(people, results, strict=True):
        for bp, person in listed.items():
            # Someone working at two schools of the chunk: the later school's document wins, as
            # it would when the schools were applied one after the other.
            wanted[bp] = (*_names(person), _text(person.get("eckid")))
            first_listed.setdefault(bp, result)
    known = {
        bp: (pk, tuple(values))
        for pk, bp, *values in Staff.objects.filter(basispoort_id__in=list(wanted)).values_list(
            "pk", "basispoort_id", *STAFF_FIELDS
        )
    }
    staff_pk = {bp: found[0] for bp, found in known.items()}
    # Another chunk's import may create the same person at the same moment; sorted ids keep
    # two such imports from locking each other's rows in opposite orders.
    new_staff, changed_staff = [], []
    for bp in sorted(wanted):
        values = wanted[bp]
        found = known.get(bp)
        if found is None:
            new_staff.append(Staff(basispoort_id=bp, **dict(zip(STAFF_FIELDS, values, strict=True))))
            first_listed[bp].created["staff"] += 1
        elif found[1] != values:
            changed_staff.append((found[0], *values))
            first_listed[bp].updated["staff"] += 1
    Staff.objects.bulk_create(
        new_staff, update_conflicts=True, unique_fields=["basispoort_id"], update_fields=list(STAFF_FIELDS)
    )
    staff_pk.update({s.basispoort_id: s.pk for s in new_staff})
    update_values(Staff, STAFF_FIELDS, changed_staff)

    school_ids = [s.pk for s in schools]
    existing: dict[int, dict[int, tuple[int, tuple]]] = defaultdict(dict)
    owner: dict[int, ApplyResult] = {}
    by_school = {s.pk: r for s, r in zip(schools, results, strict=True)}
    for pk, school_id, staff_id, *values in Appointment.objects.filter(school_id__in=school_ids).values_list(
        "pk", "school_id", "staff_id", *APPOINTMENT_FIELDS
    ):
        existing[school_id][staff_id] = (pk, tuple(values))
        owner[pk] = by_school[school_id]
    gone, changed, new = [], [], []
    active: list[dict[int, int]] = []
    for listed, school, result in zip(people, schools, results, strict=True):
        have = existing.get(school.pk, {})
        mine: dict[int, int] = {}
        for bp, person in listed.items():
            staff_id = staff_pk[bp]
            values = (
                _text(person.get("lasKey")),
                _text(person.get("emailadres")).lower(),
                parse_date(person["einddatum"]) if person.get("einddatum") else None,
                True,
                None,
            )
            found = have.get(staff_id)
            if found is None:
                mine[staff_id] = -1 - len(new)  # its place in ``new`` until it has an id
                new.append((school.pk, staff_id, *values))
                result.created["appointment"] += 1
                continue
            mine[staff_id] = found[0]
            if found[1] != values:
                changed.append((found[0], *values))
                result.updated["appointment"] += 1
        for staff_id, (pk, values) in have.items():
            if staff_id not in mine and values[3]:
                # The retention period (AVG) counts from inactive_since; the las_key is freed
                # so that another appointment can take it over in the same run.
                gone.append((pk, "", values[1], values[2], False, now))
                result.deactivated["appointment"] += 1
        active.append(mine)
    # Gone first: they free las_keys the changed and new appointments may take over.
    update_values(Appointment, APPOINTMENT_FIELDS, gone)
    update_values(Appointment, APPOINTMENT_FIELDS, changed)
    new_ids = insert_rows(Appointment, ("school_id", "staff_id", *APPOINTMENT_FIELDS), new, ids=True)
    for pk, row in zip(new_ids, new, strict=True):
        owner[pk] = by_school[row[0]]
    active_pk = [{staff_id: pk if pk >= 0 else new_ids[-1 - pk] for staff_id, pk in mine.items()} for mine in active]

    # By the appointments' ids rather than a join on their school: an index lookup per
    # appointment instead of a scan of every school's pairs.
    appointment_ids = sorted(owner)
    roles = AppointmentRole.objects.filter(appointment_id__in=appointment_ids)
    have_roles = {(appt_id, role): pk for pk, appt_id, role in roles.values_list("pk", "appointment_id", "role")}
    want_roles = {
        (mine[staff_pk[bp]], role)
        for listed, mine in zip(people, active_pk, strict=True)
        for bp, person in listed.items()
        for role in person.get("rollen") or []
        if role in _ROLES
    }
    _sync_pairs(AppointmentRole, ("appointment_id", "role"), have_roles, want_roles, owner, "role")

    through = Appointment.groups.through
    have_members = {
        (appointment_id, group_id): pk
        for pk, appointment_id, group_id in through.objects.filter(appointment_id__in=appointment_ids).values_list(
            "pk", "appointment_id", "group_id"
        )
    }
    want_members = {
        (mine[staff_pk[bp]], by_key[key])
        for listed, mine, by_key in zip(people, active_pk, groups, strict=True)
        for bp, person in listed.items()
        for key in (person.get("groepen") or []) + (person.get("subgroepen") or [])
        if key in by_key
    }
    _sync_pairs(through, ("appointment_id", "group_id"), have_members, want_members, owner, "teacher_group")


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
    text = _text
    new, changed, left = [], [], []
    listed: list[dict[int, dict]] = []
    left_by_school: list[list[int]] = []
    for doc, school, result, by_key in zip(docs, schools, results, groups, strict=True):
        have = existing.get(school.pk, {})
        seen: dict[int, dict] = {}
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
                was_in = found[_ROW_GROUP] if found[_ROW_ACTIVE] else None
                if was_in is not None and group_id is not None and was_in != group_id:
                    result.moved_pupils += 1
                    result.moved_pupil_ids.append(found[_ROW_PK])
        gone = [row[_ROW_PK] for bp, row in have.items() if row[_ROW_ACTIVE] and bp not in seen]
        left.extend((pk, False, now) for pk in gone)
        result.deactivated["pupil"] += len(gone)
        listed.append(seen)
        left_by_school.append(gone)
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
    _sync_pairs(through, ("pupil_id", "group_id"), have_pairs, want, owner, "pupil_subgroup")
    for school, result, gone in zip(schools, results, left_by_school, strict=True):
        if gone:
            result.deactivated["seat"] += announce_departed_pupils(school, gone)


def _sync_pairs(
    model, columns: tuple[str, str], have: dict[tuple, int], want: set[tuple], owner: dict[int, ApplyResult], label: str
) -> None:
    """Make a pair table hold ``want``: delete the other pairs of ``have`` (pair → row id), insert the missing.
    ``owner`` tells by the pair's first id which school's result counts it."""
    remove = []
    for pair, pk in have.items():
        if pair not in want:
            remove.append(pk)
            owner[pair[0]].deactivated[label] += 1
    add = sorted(pair for pair in want if pair not in have)
    for pair in add:
        owner[pair[0]].created[label] += 1
    delete_pks(model, remove)
    insert_rows(model, columns, add)
