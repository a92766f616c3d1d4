"""Apply one school's Basispoort document to the database, all or nothing.

Keys are the feed's stable ids: groups by ``lasKey``, staff and pupils by Basispoort id.
Only rows that changed are written; whatever left the document is deactivated, not deleted.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from licenses.actions import release_seats_of_departed_pupils
from roster.feed import SchoolDocument
from roster.models import Appointment, AppointmentRole, Group, Pupil, Role, School, Staff


@dataclass
class ApplyResult:
    school: School | None = None
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    deactivated: Counter = field(default_factory=Counter)

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


def _school_values(details: dict) -> dict[str, Any]:
    mutation = (details.get("metaResult") or {}).get("mutationTimestamp")
    return {
        "name": _text(details.get("naam")) or "?",
        "street": _text(details.get("straat")),
        "house_number": _text(details.get("huisnummer")),
        "house_number_suffix": _text(details.get("huisnummertoevoeging")),
        "postcode": _text(details.get("postcode")),
        "city": _text(details.get("woonplaats")),
        "brin": _text(details.get("brincode")),
        "dependancecode": _text(details.get("dependancecode")),
        "schoolkey": _text(details.get("schoolkey")),
        "instelling_ref": _text(details.get("instellingRef")),
        "bestuurscode": _text(details.get("bestuurscode")),
        "active": details.get("actief", True) is not False and not details.get("gefuseerdNaar"),
        "mutation_timestamp": parse_datetime(mutation) if mutation else None,
    }


@transaction.atomic
def apply_school_document(doc: SchoolDocument, *, now: dt.datetime | None = None) -> ApplyResult:
    now = now or timezone.now()
    result = ApplyResult()
    school = _apply_school(doc, result)
    result.school = school
    groups = _apply_groups(school, doc.roster, result)
    _apply_staff(school, doc.roster, groups, result)
    _apply_pupils(school, doc.roster, groups, result, now)
    return result


def _apply_school(doc: SchoolDocument, result: ApplyResult) -> School:
    values = _school_values(
        {**doc.details, "metaResult": doc.roster.get("metaResult") or doc.details.get("metaResult")}
    )
    school = School.objects.select_for_update().filter(basispoort_id=doc.basispoort_id).first()
    if school is None:
        school = School.objects.create(basispoort_id=doc.basispoort_id, **values)
        result.created["school"] += 1
    elif _assign(school, values):
        school.save()
        result.updated["school"] += 1
    merged_into = doc.details.get("gefuseerdNaar") or doc.roster.get("gefuseerdNaar")
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
    Group.objects.bulk_update(to_update + gone, ["name", "jaargroep", "description", "is_subgroup", "active"])
    result.created["group"] += len(to_create)
    result.updated["group"] += len(to_update)
    result.deactivated["group"] += len(gone)
    return seen


def _apply_staff(school: School, roster: dict, groups: dict[str, Group], result: ApplyResult) -> None:
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
    Staff.objects.bulk_create(new_staff)
    Staff.objects.bulk_update(changed_staff, ["first_name", "infix", "last_name", "initials", "eckid"])
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
    # Free a las_key before another appointment takes it over in the same run.
    Appointment.objects.bulk_update(gone, ["active"])
    Appointment.objects.filter(pk__in=[a.pk for a in gone]).update(las_key="")
    Appointment.objects.bulk_update(changed_appts, ["las_key", "email", "end_date", "active"])
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
        "group",
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
            "group": group,
            "active": True,
            "left_at": None,
        }
        pupil = existing.get(basispoort_id)
        if pupil is None:
            pupil = Pupil(school=school, basispoort_id=basispoort_id, **values)
            to_create.append(pupil)
        elif _assign(pupil, values):
            to_update.append(pupil)
        seen[basispoort_id] = item
    left = [p for key, p in existing.items() if key not in seen and p.active]
    for pupil in left:
        pupil.active = False
        pupil.left_at = now
    Pupil.objects.bulk_create(to_create)
    Pupil.objects.bulk_update(to_update + left, fields)
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
