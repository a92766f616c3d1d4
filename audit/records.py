"""The one way an audit row is written, and the one way its names are pseudonymised.

Callers describe a change as an :class:`Entry` built with the payload builders below, and name
who did it with an :class:`Actor`: the roster person of the request's access object
(``roster.access.SchoolAccess.actor``) or a literal system actor (:data:`IMPORT`, an LVS).
The subject of a row about a person is always ``"<person> – <what>"`` (:func:`subject`), so
retention can replace the person by a pseudonym without knowing any app's wording.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

from audit.models import AuditAction, AuditEvent

IMPORT_ACTOR = "Basispoort-import"
SEPARATOR = " – "


@dataclass(frozen=True)
class Actor:
    """Who made a change: the name as the roster knows it, and the account if there was one."""

    label: str
    user_id: int | None = None


IMPORT = Actor(IMPORT_ACTOR)


@dataclass(frozen=True)
class Entry:
    """One change, ready to be written."""

    action: AuditAction
    subject: str
    school_id: int | None
    licence_id: int | None = None
    before: dict | None = None
    after: dict | None = None


def subject(who: str, what: str) -> str:
    """The subject of a row about a person (or group): ``who`` first, so it can be pseudonymised."""
    return f"{who}{SEPARATOR}{what}"


# Typed payload builders: the keys an audit row's before/after may hold, in one place.


def group_facts(las_key: str, name: str, *, reason: str | None = None) -> dict:
    facts = {"group": las_key, "group_name": name}
    return {**facts, "reason": reason} if reason else facts


def pupil_facts(basispoort_id: int, name: str) -> dict:
    return {"pupil": basispoort_id, "pupil_name": name}


def released_seat_facts(basispoort_id: int, licence_id: int) -> dict:
    return {"pupil": basispoort_id, "licence": licence_id}


def restored_seat_facts(basispoort_id: int, licence_id: int) -> dict:
    return {"pupil": basispoort_id, "licence": licence_id, "reason": "terug in de administratie"}


def held_night_facts(held_night_id: int, reasons: list[str], *, leaving: int, arriving: int, moving: int) -> dict:
    return {"held_night": held_night_id, "reasons": reasons, "leaving": leaving, "arriving": arriving, "moving": moving}


def proposal_pupil_facts(basispoort_id: int, name: str, reason: str) -> dict:
    return {**pupil_facts(basispoort_id, name), "reason": reason}


def login_method_facts(group_key: str, method: str, *, pupils: int | None = None) -> dict:
    facts = {"group": group_key, "method": method}
    return facts if pupils is None else {**facts, "pupils": pupils}


def login_code_facts(basispoort_id: int, method: str) -> dict:
    return {"pupil": basispoort_id, "method": method}


def result_link_facts(lvs: str, key_last4: str, status: str) -> dict:
    """A result link as the log shows it: never the key, only its last four characters."""
    return {"lvs": lvs, "sleutel": f"…{key_last4}", "status": status}


def entree_link_facts(school_code: str) -> dict:
    """An Entree link as the log shows it: the school it was checked against, never the uid."""
    return {"identiteit": "Entree", "school": school_code}


def _row(entry: Entry, actor: Actor | None) -> AuditEvent:
    actor = actor or IMPORT
    return AuditEvent(
        action=entry.action,
        subject=entry.subject[:300],
        school_id=entry.school_id,
        licence_id=entry.licence_id,
        actor_id=actor.user_id,
        actor_label=actor.label[:200],
        before=entry.before,
        after=entry.after,
    )


def record(entry: Entry, actor: Actor | None) -> AuditEvent:
    """Write one audit row in the caller's transaction. ``None`` is the nightly import."""
    event = _row(entry, actor)
    event.save(force_insert=True)
    return event


def record_many(entries: Iterable[Entry], actor: Actor | None) -> int:
    """Write many rows at once (a bulk change, the import's seat releases); returns how many."""
    rows = [_row(entry, actor) for entry in entries]
    AuditEvent.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _strip_pupil(facts: dict | None, alias: str) -> dict | None:
    if not facts:
        return facts
    kept = {key: value for key, value in facts.items() if key not in {"pupil", "pupil_name"}}
    return {**kept, "pupil": alias}


def pseudonymise_pupils(pupils: set[tuple[int, int]], alias_of) -> int:
    """Replace the name and id of these (school id, Basispoort id) pupils in their rows by
    ``alias_of(basispoort_id)``; returns how many rows changed."""
    bp_ids = [bp_id for _school, bp_id in pupils]
    events = AuditEvent.objects.filter(school_id__in={school for school, _bp in pupils}).filter(
        Q(before__pupil__in=bp_ids) | Q(after__pupil__in=bp_ids)
    )
    changed = []
    for event in events:
        bp_id = next(
            (
                facts["pupil"]
                for facts in (event.before, event.after)
                if isinstance(facts, dict) and (event.school_id, facts.get("pupil")) in pupils
            ),
            None,
        )
        if bp_id is None:
            continue  # the same Basispoort id at another school in this batch: not this pupil
        alias = alias_of(bp_id)
        _who, sep, what = event.subject.partition(SEPARATOR)
        event.subject = subject(alias, what) if sep else alias
        event.before = _strip_pupil(event.before, alias)
        event.after = _strip_pupil(event.after, alias)
        changed.append(event)
    AuditEvent.objects.bulk_update(changed, ["subject", "before", "after"], batch_size=500)
    return len(changed)


def pseudonymise_actor(user_ids: Iterable[int], alias: str) -> int:
    """Name the author of these accounts' rows by ``alias`` (before the accounts are deleted)."""
    return AuditEvent.objects.filter(actor_id__in=list(user_ids)).update(actor_label=alias)
