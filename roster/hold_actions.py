"""The coordinator's decision on a held night (``roster.holds``): "Toch verwerken" or "Negeren".

"Toch verwerken" applies the kept document through the same importer as the night
(``apply_school_documents``), under the same Redis lock (``roster.lock``), in one transaction
with the decision and its audit row; the seats of pupils who leave are freed and announced as on
any night. "Negeren" keeps today's data; the next night's document is compared again.
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import records
from audit.models import AuditAction
from audit.records import Actor
from roster.feed import SchoolDocument
from roster.importer.apply import ApplyResult, apply_school_documents
from roster.lock import acquire_lock, release_lock
from roster.models import HeldNight, HoldDecision, School


class HoldRefused(Exception):
    """The decision cannot be carried out; the message is for the coordinator."""


def _locked_open(school: School, held_night_id: int) -> HeldNight:
    hold = HeldNight.objects.select_for_update().filter(pk=held_night_id, school=school).first()
    if hold is None or hold.decided_at is not None or not hold.document:
        raise HoldRefused(_("Over deze gegevens is al besloten; er is niets gewijzigd."))
    return hold


def _entry(hold: HeldNight, action: AuditAction) -> records.Entry:
    summary = hold.summary or {}
    return records.Entry(
        action,
        f"Basispoort-gegevens van {timezone.localtime(hold.held_at):%d-%m-%Y}",
        hold.school_id,
        after=records.held_night_facts(
            hold.pk,
            list(hold.reasons),
            leaving=len(summary.get("leaving", [])),
            arriving=len(summary.get("arriving", [])),
            moving=len(summary.get("moving", [])),
        ),
    )


def _decide(hold: HeldNight, decision: str, actor: Actor) -> None:
    hold.decided_at = timezone.now()
    hold.decision = decision
    hold.decided_by_id = actor.user_id
    hold.decided_by_label = actor.label[:200]
    hold.document = {}
    hold.save(update_fields=["decided_at", "decision", "decided_by", "decided_by_label", "document"])


def apply_held_night(*, school: School, held_night_id: int, actor: Actor) -> ApplyResult:
    """Apply the held document now, as the night would have; refused while an import runs."""
    owner = f"held-night-{held_night_id}-{uuid.uuid4().hex}"
    if not acquire_lock(owner):
        raise HoldRefused(
            _(
                "De gegevens uit de schooladministratie worden op dit moment verwerkt. "
                "Probeer het over een paar minuten opnieuw."
            )
        )
    try:
        with transaction.atomic():
            hold = _locked_open(school, held_night_id)
            doc = SchoolDocument(school.basispoort_id, hold.document["details"], hold.document["roster"])
            result = apply_school_documents([doc])[0]
            _decide(hold, HoldDecision.APPLIED, actor)
            records.record(_entry(hold, AuditAction.HELD_NIGHT_APPLIED), actor)
    finally:
        release_lock(owner)
    return result


def discard_held_night(*, school: School, held_night_id: int, actor: Actor) -> None:
    """Keep today's data; the next night is compared again."""
    with transaction.atomic():
        hold = _locked_open(school, held_night_id)
        _decide(hold, HoldDecision.DISCARDED, actor)
        records.record(_entry(hold, AuditAction.HELD_NIGHT_DISCARDED), actor)
