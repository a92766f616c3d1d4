"""Every change to licence links goes through a function here, inside a transaction, audited."""

from __future__ import annotations

from django.db import transaction

from licenses.models import AuditAction, AuditEvent, Seat
from roster.models import School

IMPORT_ACTOR = "Basispoort-import"


def record(
    *,
    action: str,
    subject: str,
    school: School | None,
    licence=None,
    actor=None,
    actor_label: str = "",
    before=None,
    after=None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        action=action,
        subject=subject[:300],
        school=school,
        licence=licence,
        actor=actor,
        actor_label=actor_label or (actor.get_full_name() or actor.get_username() if actor else IMPORT_ACTOR),
        before=before,
        after=after,
    )


def release_seats_of_departed_pupils(school: School, pupil_ids: list[int]) -> int:
    """Free the per-pupil seats of pupils who left the school, one audit row per seat."""
    with transaction.atomic():
        seats = list(
            Seat.objects.filter(school=school, pupil_id__in=pupil_ids).select_related("licence__product", "pupil")
        )
        AuditEvent.objects.bulk_create(
            [
                AuditEvent(
                    action=AuditAction.RELEASE_SEAT,
                    subject=f"{seat.pupil.full_name} – {seat.licence.product.name}"[:300],
                    school=school,
                    licence=seat.licence,
                    actor_label=IMPORT_ACTOR,
                    before={"pupil": seat.pupil.basispoort_id, "licence": seat.licence_id},
                    after=None,
                )
                for seat in seats
            ]
        )
        Seat.objects.filter(pk__in=[s.pk for s in seats]).delete()
    return len(seats)
