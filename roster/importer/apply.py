"""Applying one school's Basispoort document to the database, all or nothing.

Keys are the feed's stable ids: groups by ``lasKey``, staff and pupils by Basispoort id.
Only rows that changed are written; whatever left the document is deactivated, not deleted.
Pupils who left are announced to the apps above (``roster.signals``), which free their seats.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from roster import login_codes
from roster.feed import SchoolDocument
from roster.importer.sql import _insert_pupils, _sync_pairs, update_rows
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
        announce_roster_changed(school)
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
        result.deactivated["seat"] += announce_departed_pupils(school, [p.pk for p in left])
