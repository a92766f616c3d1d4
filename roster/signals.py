"""What the roster tells the apps above it, without importing them.

``roster`` is the ground floor: it never imports ``licenses`` or ``integrations``. When the
import changes something those apps care about, it sends a signal defined here; the app above
connects its receiver in its ``AppConfig.ready()``. Receivers run synchronously, inside the
import's transaction for the school, so their changes commit or roll back with it; a receiver
that talks to another system does so after commit.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent by the import for pupils who left a school (kwargs: ``school``, ``pupil_ids``). A receiver
# returns how many things (seats) it freed for them, which the import reports.
pupils_departed = Signal()

# Sent by the import for pupils who are back at a school they had left (kwargs: ``school``,
# ``pupil_ids``), inside the import's transaction. A receiver returns how many things (seats) it
# gave back to them.
pupils_returned = Signal()

# Asked (not announced) by the hold check of ``roster.holds`` before a school's night is applied
# (kwargs: ``school_ids``, ``group_ids``, ``pupil_ids``): a receiver answers which of these groups
# and pupils hold something of its own, as ``{"groups": {group_id: [label, …]}, "pupils":
# {pupil_id: [label, …]}}`` (the licence app: links of a group, seats of a pupil). It only reads.
ties_requested = Signal()

# Sent inside the import's transaction once per chunk of schools, naming the schools whose people
# or groups changed (``school_ids``); a receiver works on them all at once (the import's query
# count must not grow with the chunk) and talks to other systems after commit (the licence
# registry push).
roster_changed = Signal()


def announce_departed_pupils(school, pupil_ids: list[int]) -> int:
    """Tell the apps above that these pupils left ``school``; how many seats they freed."""
    responses = pupils_departed.send(sender=type(school), school=school, pupil_ids=pupil_ids)
    return sum(freed for _receiver, freed in responses if isinstance(freed, int))


def announce_returned_pupils(school, pupil_ids: list[int]) -> int:
    """Tell the apps above that these pupils are back at ``school``; how many seats they got back."""
    responses = pupils_returned.send(sender=type(school), school=school, pupil_ids=pupil_ids)
    return sum(given for _receiver, given in responses if isinstance(given, int))


def ties_of(school_ids: list[int], group_ids: list[int], pupil_ids: list[int]) -> tuple[dict, dict]:
    """What the apps above tie to these groups and pupils: (group id → labels, pupil id → labels)."""
    groups: dict[int, list[str]] = {}
    pupils: dict[int, list[str]] = {}
    if not (group_ids or pupil_ids):
        return groups, pupils
    for _receiver, answer in ties_requested.send(
        sender=None, school_ids=school_ids, group_ids=group_ids, pupil_ids=pupil_ids
    ):
        for key, target in (("groups", groups), ("pupils", pupils)):
            for pk, labels in (answer or {}).get(key, {}).items():
                target.setdefault(pk, []).extend(labels)
    return groups, pupils


def announce_roster_changed(schools: list) -> None:
    """Tell the apps above that the people or groups of these schools changed (nothing if none)."""
    if schools:
        roster_changed.send(sender=type(schools[0]), school_ids=[school.pk for school in schools])
