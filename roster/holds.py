"""Suspicious nights, held per school before they are applied.

Before a chunk's documents are applied, in the same transaction, each school's new document is
compared with what the school has now: the rows the importer reads anyway
(``roster.importer.apply.apply_school_documents``). A night is held when it would

- make more than ``ROSTER_HOLD_PUPILS_PERCENT`` % of the active pupils leave, and at least
  ``ROSTER_HOLD_PUPILS_MINIMUM`` of them;
- remove a group that has licence links, or whose pupils hold seats;
- remove more than ``ROSTER_HOLD_STAFF_PERCENT`` % of the staff (active appointments);
- remove every coordinator: the school has ict-coördinatoren now and the document names none.

The night a school year moves on (the new document's ``mutationTimestamp`` lies in a later school
year than the one last applied) is expected to look like that: leavers from the school's highest
year level do not count, and neither do groups that disappear (they are the old school year's).
A document that closes the school or merges it into another is never held.

A held school keeps its data: nothing is written, nothing released, no signal sent; its document
is kept in a ``HeldNight`` with what would change, for the coordinator to apply or discard
(``roster.hold_actions``). A later night that is not held ends the hold. The roster does not know
licences: which groups and pupils hold links or seats it asks with ``roster.signals.ties_of``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from roster.feed import SchoolDocument
from roster.feed.shape import clean_text
from roster.feed.validation import mutation_timestamp
from roster.models import (
    Appointment,
    AppointmentRole,
    Group,
    HeldNight,
    HoldDecision,
    HoldReason,
    Pupil,
    Role,
)
from roster.school_year import school_year_of
from roster.signals import ties_of


@dataclass
class Held:
    """A school whose night is held: why, and what would change."""

    school_id: int
    reasons: list[str]
    summary: dict = field(default_factory=dict)


# --- The rule ---------------------------------------------------------------------------------


def highest_year_level(levels) -> str | None:
    numbers = [int(level) for level in levels if level.isdigit()]
    return str(max(numbers)) if numbers else None


def counted_leavers(active: dict[int, str], listed: set[int], *, moves_on: bool) -> list[int]:
    """Active pupils (Basispoort id → jaargroep) the document no longer lists; on the night the
    school year moves on, those of the highest year level leave as expected and are not counted."""
    leaving = [bp for bp in active if bp not in listed]
    if moves_on and leaving:
        top = highest_year_level(active.values())
        leaving = [bp for bp in leaving if active[bp] != top]
    return leaving


def reasons_for(
    *,
    active_pupils: dict[int, str],
    listed_pupils: set[int],
    licensed_groups_removed: int,
    staff: dict[int, bool],
    listed_staff: dict[int, bool],
    moves_on: bool,
) -> list[str]:
    """The documented rule on plain facts. ``staff`` and ``listed_staff``: Basispoort id → is a
    coordinator, now and in the document."""
    reasons = []
    leaving = len(counted_leavers(active_pupils, listed_pupils, moves_on=moves_on))
    if leaving >= settings.ROSTER_HOLD_PUPILS_MINIMUM and leaving * 100 > settings.ROSTER_HOLD_PUPILS_PERCENT * len(
        active_pupils
    ):
        reasons.append(HoldReason.PUPILS_LEAVING)
    if licensed_groups_removed and not moves_on:
        reasons.append(HoldReason.LICENSED_GROUP_REMOVED)
    staff_removed = sum(1 for bp in staff if bp not in listed_staff)
    if staff_removed * 100 > settings.ROSTER_HOLD_STAFF_PERCENT * len(staff):
        reasons.append(HoldReason.STAFF_LEAVING)
    if any(staff.values()) and not any(listed_staff.values()):
        reasons.append(HoldReason.COORDINATORS_LEAVING)
    return reasons


# --- Reading the document ---------------------------------------------------------------------


def _listed_pupils(doc: SchoolDocument) -> dict[int, dict]:
    return {int(p["id"]): p for p in doc.roster.get("leerlingen") or [] if p.get("id") is not None}


def _listed_staff(doc: SchoolDocument) -> dict[int, bool]:
    return {
        int(p["id"]): Role.ICT_COORDINATOR.value in (p.get("rollen") or [])
        for p in doc.roster.get("medewerkers") or []
        if p.get("id") is not None
    }


def _listed_groups(doc: SchoolDocument) -> dict[str, dict]:
    groups = {}
    for key in ("groepen", "subgroepen"):
        for item in doc.roster.get(key) or []:
            las_key = clean_text(item.get("lasKey"))
            if las_key:
                groups.setdefault(las_key, item)
    return groups


def _closes_school(doc: SchoolDocument) -> bool:
    return any(source.get("actief") is False or source.get("gefuseerdNaar") for source in (doc.roster, doc.details))


def _document_year(doc: SchoolDocument, now: dt.datetime) -> str:
    value = mutation_timestamp(doc.roster, doc.details)
    try:
        stamp = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        stamp = None
    return school_year_of(timezone.localdate(stamp or now))


@dataclass
class Today:
    """What the chunk's schools have now (their active rows), as the check compares it: per school id."""

    schools: dict[int, tuple[int, dt.datetime | None]] = field(default_factory=dict)  # bp → (id, timestamp)
    pupils: dict[int, dict[int, str]] = field(default_factory=lambda: defaultdict(dict))  # bp → jaargroep
    groups: dict[int, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))  # lasKey → id
    staff: dict[int, dict[int, bool]] = field(default_factory=lambda: defaultdict(dict))  # bp → coordinator


# --- Screening a chunk ------------------------------------------------------------------------


def screen(docs: list[SchoolDocument], today: Today, now: dt.datetime | None = None) -> dict[int, Held]:
    """The documents of a chunk whose night is held, by Basispoort id, compared with ``today``: the
    rows the importer read for the chunk (``roster.importer.apply.read_existing``). No query of its
    own, whatever the chunk's size: two when a group would disappear, four more when a night is held."""
    if not settings.ROSTER_HOLD_ENABLED or not docs:
        return {}
    now = now or timezone.now()
    todo = [
        (doc, *today.schools[doc.basispoort_id])
        for doc in docs
        if doc.basispoort_id in today.schools and not _closes_school(doc)
    ]
    if not todo:
        return {}
    pupils, groups, staff = today.pupils, today.groups, today.staff

    # Groups that would disappear; whether they hold licences is asked only when there are any.
    removed: dict[int, list[int]] = {}
    for doc, school_id, _stamp in todo:
        listed = _listed_groups(doc)
        gone = [pk for las_key, pk in groups[school_id].items() if las_key not in listed]
        if gone:
            removed[school_id] = gone
    tied_groups: set[int] = set()
    if removed:
        gone_ids = {pk for gone in removed.values() for pk in gone}
        in_gone = dict(
            Pupil.objects.filter(group_id__in=gone_ids, active=True).values_list("pk", "group_id").order_by()
        )
        linked, seated = ties_of(list(removed), sorted(gone_ids), sorted(in_gone))
        tied_groups = set(linked) | {in_gone[pk] for pk in seated}

    held: dict[int, Held] = {}
    for doc, school_id, stamp in todo:
        moves_on = stamp is not None and _document_year(doc, now) > school_year_of(timezone.localdate(stamp))
        reasons = reasons_for(
            active_pupils=pupils[school_id],
            listed_pupils={int(p["id"]) for p in doc.roster.get("leerlingen") or [] if p.get("id") is not None},
            licensed_groups_removed=sum(1 for pk in removed.get(school_id, []) if pk in tied_groups),
            staff=staff[school_id],
            listed_staff=_listed_staff(doc),
            moves_on=moves_on,
        )
        if reasons:
            held[doc.basispoort_id] = Held(school_id, [str(r) for r in reasons])
    if held:
        by_bp = {doc.basispoort_id: doc for doc, _pk, _stamp in todo}
        describe({bp: by_bp[bp] for bp in held}, held)
    return held


# --- What would change, for the coordinator -------------------------------------------------


def _name(person: dict) -> str:
    data = person.get("persoonsgegevens") or {}
    return " ".join(clean_text(data.get(k)) for k in ("voornaam", "voorvoegsel", "achternaam") if data.get(k))


def describe(docs: dict[int, SchoolDocument], held: dict[int, Held]) -> None:
    """Fill each held school's summary: who would leave, move or arrive, which groups would
    disappear, and which links and seats that touches (three queries for all held schools)."""
    ids = [h.school_id for h in held.values()]
    group_rows = {
        pk: (school_id, las_key, name)
        for pk, school_id, las_key, name in Group.objects.filter(school_id__in=ids, active=True).values_list(
            "pk", "school_id", "las_key", "name"
        )
    }
    pupil_rows = defaultdict(dict)
    for pk, school_id, bp, first, infix, last, group_id in Pupil.objects.filter(
        school_id__in=ids, active=True
    ).values_list("pk", "school_id", "basispoort_id", "first_name", "infix", "last_name", "group_id"):
        pupil_rows[school_id][bp] = (pk, " ".join(p for p in (first, infix, last) if p), group_id)
    staff_rows = defaultdict(list)
    coordinator = AppointmentRole.objects.filter(appointment=OuterRef("pk"), role=Role.ICT_COORDINATOR)
    for school_id, bp, first, infix, last, is_coordinator in (
        Appointment.objects.filter(school_id__in=ids, active=True)
        .annotate(is_coordinator=Exists(coordinator))
        .values_list(
            "school_id",
            "staff__basispoort_id",
            "staff__first_name",
            "staff__infix",
            "staff__last_name",
            "is_coordinator",
        )
    ):
        staff_rows[school_id].append((bp, " ".join(p for p in (first, infix, last) if p), is_coordinator))

    plans = {}
    for bp, hold in held.items():
        doc = docs[bp]
        listed_groups = _listed_groups(doc)
        listed = _listed_pupils(doc)
        have = pupil_rows[hold.school_id]
        group_of = {pk: row for pk, row in group_rows.items() if row[0] == hold.school_id}
        key_of = {pk: row[1] for pk, row in group_of.items()}
        gone_groups = [pk for pk, row in group_of.items() if row[1] not in listed_groups]
        leaving = [(pk, name, group_id) for pbp, (pk, name, group_id) in have.items() if pbp not in listed]
        plans[bp] = (doc, listed_groups, listed, have, group_of, key_of, gone_groups, leaving)
    all_gone = sorted(pk for plan in plans.values() for pk in plan[6])
    all_leaving = sorted(pk for plan in plans.values() for pk, _n, _g in plan[7])
    linked, seated = ties_of(ids, all_gone, all_leaving)

    for bp, hold in held.items():
        doc, listed_groups, listed, have, group_of, key_of, gone_groups, leaving = plans[bp]

        def group_name(pk, group_of=group_of):
            return group_of[pk][2] if pk in group_of else ""

        def new_group_name(item, listed_groups=listed_groups):
            key = clean_text(item.get("groep"))
            found = listed_groups.get(key)
            return clean_text(found.get("naam")) or key if found else key

        moving, arriving = [], []
        for pbp, item in listed.items():
            found = have.get(pbp)
            if found is None:
                arriving.append({"name": _name(item), "group": new_group_name(item)})
            elif found[2] is not None and key_of.get(found[2]) != clean_text(item.get("groep")):
                moving.append({"name": found[1], "from": group_name(found[2]), "to": new_group_name(item)})
        listed_staff = _listed_staff(doc)
        hold.summary = {
            "pupils": len(have),
            "leaving": sorted(
                (
                    {"name": name, "group": group_name(group_id), "seats": seated.get(pk, [])}
                    for pk, name, group_id in leaving
                ),
                key=lambda row: row["name"],
            ),
            "moving": sorted(moving, key=lambda row: row["name"]),
            "arriving": sorted(arriving, key=lambda row: row["name"]),
            "groups_removed": [
                {"name": group_name(pk), "links": linked.get(pk, [])} for pk in sorted(gone_groups, key=group_name)
            ],
            "staff": len(staff_rows[hold.school_id]),
            "staff_removed": sorted(name for sbp, name, _c in staff_rows[hold.school_id] if sbp not in listed_staff),
            "coordinators_removed": sorted(
                name for sbp, name, is_c in staff_rows[hold.school_id] if is_c and not listed_staff.get(sbp)
            ),
        }


# --- Keeping and ending holds -----------------------------------------------------------------


def keep(run, held: dict[int, Held], docs: dict[int, SchoolDocument], now: dt.datetime | None = None) -> None:
    """Store the held nights of a chunk; an open hold of the same school is replaced by the newer one."""
    if not held:
        return
    now = now or timezone.now()
    with transaction.atomic():
        ids = [h.school_id for h in held.values()]
        HeldNight.objects.filter(school_id__in=ids, decided_at__isnull=True).update(
            decided_at=now, decision=HoldDecision.SUPERSEDED, document={}
        )
        HeldNight.objects.bulk_create(
            HeldNight(
                school_id=h.school_id,
                run=run,
                held_at=now,
                document={"details": docs[bp].details, "roster": docs[bp].roster},
                summary=h.summary,
                reasons=h.reasons,
            )
            for bp, h in held.items()
        )


def end_open_holds(basispoort_ids: list[int], now: dt.datetime | None = None) -> int:
    """A night that was applied normally (or found unchanged) ends the school's open hold."""
    if not basispoort_ids:
        return 0
    return HeldNight.objects.filter(decided_at__isnull=True, school__basispoort_id__in=basispoort_ids).update(
        decided_at=now or timezone.now(), decision=HoldDecision.RESOLVED, document={}
    )


def reason_texts(hold: HeldNight) -> list[str]:
    """The hold's reasons as the coordinator reads them."""
    labels = dict(HoldReason.choices)
    return [str(labels.get(code, code)) for code in hold.reasons]


def open_holds(school_ids):
    """The open held nights of these schools, newest first (for overviews such as "Mijn scholen")."""
    return HeldNight.objects.filter(school_id__in=list(school_ids), decided_at__isnull=True).order_by("-held_at")
