"""Retention (AVG): remove pupils and staff who have been gone longer than the retention period.

A pupil who left, or a staff appointment that ended in the roster, is kept for
``RETENTION_DAYS`` (default 365) so that a mistake in the school administration can be put
right without losing links and history. After that the person is deleted with everything
hanging off them (seats, login code, results, group memberships). Audit rows stay, as the
school's record of what happened, but only with a pseudonymous id in place of the name.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from audit import records
from roster.models import Appointment, HeldNight, ImportRun, Pupil, Staff

logger = logging.getLogger(__name__)
CHUNK = 500


def pseudonym(kind: str, basispoort_id: int) -> str:
    """A stable stand-in for a person's id that cannot be turned back into it without the secret key."""
    return f"{kind}-{salted_hmac('bingel-retention', f'{kind}:{basispoort_id}').hexdigest()[:12]}"


@dataclass
class Purged:
    pupils: int = 0
    appointments: int = 0
    staff: int = 0
    import_runs: int = 0
    held_nights: int = 0


def purge_inactive(now: dt.datetime | None = None, days: int | None = None) -> Purged:
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.RETENTION_DAYS if days is None else days)
    purged = Purged()
    pupils = Pupil.objects.filter(active=False, left_at__lt=cutoff).values_list("pk", "basispoort_id", "school_id")
    while batch := list(pupils[:CHUNK]):
        with transaction.atomic():
            _pseudonymise_pupil_events({(school_id, bp_id) for _pk, bp_id, school_id in batch})
            Pupil.objects.filter(pk__in=[pk for pk, _, _ in batch]).delete()
        purged.pupils += len(batch)

    with transaction.atomic():
        ended = Appointment.objects.filter(active=False, inactive_since__lt=cutoff)
        staff_ids = set(ended.values_list("staff_id", flat=True))
        purged.appointments = ended.count()
        ended.delete()
        gone = Staff.objects.filter(pk__in=staff_ids, appointments__isnull=True)
        for staff in gone:
            _forget_staff(staff)
            purged.staff += 1
    # Import reports quote names in their warning examples; old ones have done their work.
    purged.import_runs = ImportRun.objects.filter(started_at__lt=cutoff).delete()[1].get(ImportRun._meta.label, 0)
    # Held nights quote the names of who would have left or arrived, in their summary.
    purged.held_nights = HeldNight.objects.filter(held_at__lt=cutoff).delete()[0]
    logger.info(
        "retention: removed %d pupils, %d appointments, %d staff, %d import runs, %d held nights (from before %s)",
        purged.pupils,
        purged.appointments,
        purged.staff,
        purged.import_runs,
        purged.held_nights,
        cutoff.date(),
    )
    return purged


def _pseudonymise_pupil_events(pupils: set[tuple[int, int]]) -> None:
    """Replace the name and id of these (school id, Basispoort id) pupils in their audit rows."""
    records.pseudonymise_pupils(pupils, lambda bp_id: pseudonym("leerling", bp_id))


def _forget_staff(staff: Staff) -> None:
    """Delete the person and their login account; their audit rows keep a pseudonym as author."""
    alias = pseudonym("medewerker", staff.basispoort_id)
    users = get_user_model().objects.filter(
        socialaccount__provider="basispoort", socialaccount__uid=str(staff.basispoort_id)
    )
    records.pseudonymise_actor(users.values_list("pk", flat=True), alias)
    users.delete()
    staff.delete()
