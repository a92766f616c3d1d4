"""The nightly import's side of seats: freeing the seats of pupils who left the school,
giving them back when they return in the same school year, and telling the roster's hold
check which groups and pupils still have a licence.

The import calls these through ``licenses.receivers`` (the roster may not import licences);
each writes its audit rows with the import as actor, inside the import's transaction for the
school, and locks a licence the way a coordinator's action does (``actions.locked_licence``).
"""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone

from audit import records
from audit.models import AuditAction
from licenses.actions import licence_label, locked_licence
from licenses.models import DepartedSeat, GroupLink, LicenceKind, Seat
from licenses.signals import announce_licences_changed
from roster.models import Pupil, School
from roster.school_year import school_year_of


def release_seats_of_departed_pupils(school: School, pupil_ids: list[int]) -> int:
    """Free the per-pupil seats of pupils who left the school, one audit row per seat."""
    # No savepoint of its own: it runs inside the import's transaction for the school (whose
    # failure undoes it anyway), once per school with leavers on a busy night.
    with transaction.atomic(savepoint=False):
        # Most leavers hold no seat: a plain lookup of their seats' ids first (a fifth of the ORM's
        # cost), the seats with their licence and pupil only when there are any.
        found = _seat_ids(school.pk, pupil_ids)
        if not found:
            return 0
        seats = list(Seat.objects.filter(pk__in=found).select_related("licence__product", "pupil"))
        records.record_many(
            (
                records.Entry(
                    AuditAction.RELEASE_SEAT,
                    records.subject(seat.pupil.full_name, seat.licence.product.name),
                    school.pk,
                    seat.licence_id,
                    before=records.released_seat_facts(seat.pupil.basispoort_id, seat.licence_id),
                )
                for seat in seats
            ),
            records.IMPORT,
        )
        if seats:
            Seat.objects.filter(pk__in=[s.pk for s in seats]).delete()
            _remember_departed(school, seats)
            announce_licences_changed(school)
    return len(seats)


def _remember_departed(school: School, seats: list[Seat]) -> None:
    """Remember the freed seats, so that a pupil who comes back gets them back."""
    now = timezone.now()
    DepartedSeat.objects.bulk_create(
        [
            DepartedSeat(
                licence_id=seat.licence_id,
                pupil_id=seat.pupil_id,
                school=school,
                released_at=now,
                school_year=school_year_of(timezone.localdate(now)),
            )
            for seat in seats
        ],
        update_conflicts=True,
        unique_fields=["licence", "pupil"],
        update_fields=["released_at", "school_year", "no_room_at"],
    )


def restore_seats_of_returned_pupils(school: School, pupil_ids: list[int]) -> int:
    """Pupils back at the school in the school year they left get the seats the departure freed,
    where a seat is free (audited "terug in de administratie", by the import); who finds every
    seat taken is remembered with ``no_room_at`` for Beheer home. Returns how many came back."""
    now = timezone.now()
    year = school_year_of(timezone.localdate(now))
    with transaction.atomic(savepoint=False):
        remembered = list(
            DepartedSeat.objects.filter(school=school, pupil_id__in=pupil_ids).order_by(
                "licence_id", "released_at", "pk"
            )
        )
        if not remembered:
            return 0
        done, no_room, restored = [], [], []
        for row in remembered:
            if row.school_year != year:
                done.append(row.pk)  # left in an earlier school year: a new start
                continue
            licence = locked_licence(school, row.licence_id, LicenceKind.PER_PUPIL)
            if (
                licence.is_expired(timezone.localdate(now))
                or Seat.objects.filter(licence=licence, pupil_id=row.pupil_id).exists()
            ):
                done.append(row.pk)
            elif Seat.objects.filter(licence=licence).count() >= licence.seats:
                no_room.append(row.pk)
            else:
                restored.append(Seat.objects.create(licence=licence, pupil_id=row.pupil_id, school=school))
                done.append(row.pk)
        if restored:
            holders = {p.pk: p for p in Pupil.objects.filter(pk__in=[s.pupil_id for s in restored])}
            records.record_many(
                (
                    records.Entry(
                        AuditAction.RESTORE_SEAT,
                        records.subject(holders[seat.pupil_id].full_name, licence_label(seat.licence)),
                        school.pk,
                        seat.licence_id,
                        after=records.restored_seat_facts(holders[seat.pupil_id].basispoort_id, seat.licence_id),
                    )
                    for seat in restored
                ),
                records.IMPORT,
            )
            announce_licences_changed(school)
        DepartedSeat.objects.filter(pk__in=done).delete()
        DepartedSeat.objects.filter(pk__in=no_room).update(no_room_at=now)
    return len(restored)


def licence_ties(school_ids: list[int], group_ids: list[int], pupil_ids: list[int]) -> dict:
    """Which of these groups have links, and which pupils hold seats, of a licence not yet ended
    (product names): what the roster's hold check asks before a night removes them."""
    current = school_year_of(timezone.localdate())
    groups: dict[int, list[str]] = {}
    pupils: dict[int, list[str]] = {}
    if group_ids:
        for group_id, name in GroupLink.objects.filter(
            school_id__in=school_ids, group_id__in=group_ids, licence__school_year__gte=current
        ).values_list("group_id", "licence__product__name"):
            groups.setdefault(group_id, []).append(name)
    if pupil_ids:
        for pupil_id, name in Seat.objects.filter(
            school_id__in=school_ids, pupil_id__in=pupil_ids, licence__school_year__gte=current
        ).values_list("pupil_id", "licence__product__name"):
            pupils.setdefault(pupil_id, []).append(name)
    return {"groups": groups, "pupils": pupils}


def _seat_ids(school_id: int, pupil_ids: list[int]) -> list[int]:
    if connection.vendor != "postgresql":
        return list(Seat.objects.filter(school_id=school_id, pupil_id__in=pupil_ids).values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT "id" FROM "{Seat._meta.db_table}" WHERE "school_id" = %s AND "pupil_id" = ANY(%s)',  # noqa: S608 - the model's own table
            [school_id, list(pupil_ids)],
        )
        return [row[0] for row in cursor.fetchall()]
