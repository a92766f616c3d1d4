"""The staff of a chunk of schools: people, their appointments, roles and groups (``roster.importer.apply``)."""

from __future__ import annotations

import datetime as dt

from django.utils.dateparse import parse_date

from roster.bulk import insert_rows, update_values
from roster.eckid import fingerprint as eckid_fingerprint
from roster.eckid import seal as seal_eckid
from roster.feed import SchoolDocument
from roster.importer.rows import ApplyResult, clean_text, person_names, sync_pairs
from roster.models import Appointment, AppointmentRole, Role, School, Staff

# Role.values builds its list anew on every use; the import asks once per role of every staff member.
_ROLES = frozenset(Role.values)
# The ECK iD is compared by its keyed fingerprint; the sealed value goes with new and changed rows.
STAFF_FIELDS = ("first_name", "infix", "last_name", "initials", "eckid_fingerprint")
WRITTEN_STAFF_FIELDS = (*STAFF_FIELDS, "eckid_encrypted")
APPOINTMENT_FIELDS = ("las_key", "email", "end_date", "active", "inactive_since")


def apply_staff(
    docs: list[SchoolDocument],
    schools: list[School],
    groups: list[dict],
    results: list[ApplyResult],
    now: dt.datetime,
    appointments: dict[int, dict[int, tuple[int, tuple]]],
    roles: dict[tuple[int, str], int],
) -> None:
    """``appointments``: the schools' appointments as read (school id → staff id → (id, APPOINTMENT_FIELDS)),
    ``roles`` their roles ((appointment id, role) → row id); read with the chunk (``apply.read_existing``)."""
    # A person listed twice in one document counts once, with the values listed last.
    people = [{int(p["id"]): p for p in doc.roster.get("medewerkers") or [] if p.get("id") is not None} for doc in docs]
    wanted: dict[int, tuple] = {}
    eckids: dict[int, str] = {}
    first_listed: dict[int, ApplyResult] = {}
    for listed, result in zip(people, results, strict=True):
        for bp, person in listed.items():
            # Someone working at two schools of the chunk: the later school's document wins, as
            # it would when the schools were applied one after the other.
            eckids[bp] = clean_text(person.get("eckid"))
            wanted[bp] = (*person_names(person), eckid_fingerprint(eckids[bp]))
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
            written = (*values, seal_eckid(eckids[bp])[0])
            new_staff.append(Staff(basispoort_id=bp, **dict(zip(WRITTEN_STAFF_FIELDS, written, strict=True))))
            first_listed[bp].created["staff"] += 1
        elif found[1] != values:
            changed_staff.append((found[0], *values, seal_eckid(eckids[bp])[0]))
            first_listed[bp].updated["staff"] += 1
    Staff.objects.bulk_create(
        new_staff, update_conflicts=True, unique_fields=["basispoort_id"], update_fields=list(WRITTEN_STAFF_FIELDS)
    )
    staff_pk.update({s.basispoort_id: s.pk for s in new_staff})
    update_values(Staff, WRITTEN_STAFF_FIELDS, changed_staff)

    owner: dict[int, ApplyResult] = {}
    by_school = {s.pk: r for s, r in zip(schools, results, strict=True)}
    for school, result in zip(schools, results, strict=True):
        for pk, _values in appointments.get(school.pk, {}).values():
            owner[pk] = result
    gone, changed, new = [], [], []
    active: list[dict[int, int]] = []
    for listed, school, result in zip(people, schools, results, strict=True):
        have = appointments.get(school.pk, {})
        mine: dict[int, int] = {}
        for bp, person in listed.items():
            staff_id = staff_pk[bp]
            values = (
                clean_text(person.get("lasKey")),
                clean_text(person.get("emailadres")).lower(),
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

    # New appointments have no roles yet; those read are the applied schools' (a held school's stay).
    have_roles = {pair: pk for pair, pk in roles.items() if pair[0] in owner}
    want_roles = {
        (mine[staff_pk[bp]], role)
        for listed, mine in zip(people, active_pk, strict=True)
        for bp, person in listed.items()
        for role in person.get("rollen") or []
        if role in _ROLES
    }
    sync_pairs(AppointmentRole, ("appointment_id", "role"), have_roles, want_roles, owner, "role")

    # By the appointments' ids rather than a join on their school: an index lookup per
    # appointment instead of a scan of every school's pairs.
    appointment_ids = sorted(owner)
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
    sync_pairs(through, ("appointment_id", "group_id"), have_members, want_members, owner, "teacher_group")
