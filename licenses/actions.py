"""Every change to licence links goes through a function here: one transaction, rules checked
with the licence row locked, and an audit row written in the same transaction."""

from __future__ import annotations

import datetime as dt
import enum

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from integrations.registry.changes import school_changed
from licenses.models import AuditAction, AuditEvent, GroupLink, Licence, LicenceKind, Seat
from roster.access import person_name
from roster.models import Group, Pupil, School, Staff

IMPORT_ACTOR = "Basispoort-import"


class LinkRefused(Exception):
    """A change that breaks a rule; the message is for the coordinator, in their language."""


class Outcome(enum.Enum):
    DONE = "done"
    ALREADY = "already"


def actor_label(actor) -> str:
    """The one place where an audit row's author name is derived.

    ``None`` is the nightly import; a roster person (Staff) is named as the roster names them;
    an account is named after the roster person behind it (its Basispoort ``sub``), never
    after whatever names the identity provider sent.
    """
    if actor is None:
        return IMPORT_ACTOR
    if isinstance(actor, Staff):
        return actor.full_name[:200]
    return person_name(actor)[:200]


def record(
    *, action: str, subject: str, school: School | None, licence=None, actor=None, before=None, after=None
) -> AuditEvent:
    return AuditEvent.objects.create(
        action=action,
        subject=subject[:300],
        school=school,
        licence=licence,
        actor=actor,
        actor_label=actor_label(actor),
        before=before,
        after=after,
    )


def _locked_licence(school: School, licence_id: int, kind: str, today: dt.date | None = None) -> Licence:
    """The licence row, locked until the transaction ends, so concurrent changes queue up.

    With ``today`` the licence must also still be current: new links need that, unlinking not.
    """
    licence = (
        Licence.objects.select_for_update()
        .select_related("product")
        .filter(pk=licence_id, school=school, kind=kind)
        .first()
    )
    if licence is None:
        raise LinkRefused(_("Deze licentie hoort niet bij deze school."))
    if today is not None and licence.is_expired(today):
        raise LinkRefused(
            _("Deze licentie is verlopen (schooljaar %(year)s) en kan niet meer gekoppeld worden.")
            % {"year": licence.school_year}
        )
    return licence


def link_groups(
    *, school: School, licence_id: int, group_ids: list[int], actor, today: dt.date | None = None
) -> tuple[list[Group], list[Group]]:
    """Link a per-group licence to groups; returns (newly linked, already linked)."""
    today = today or timezone.localdate()
    with transaction.atomic():
        licence = _locked_licence(school, licence_id, LicenceKind.PER_GROUP, today)
        groups = list(Group.objects.filter(school=school, pk__in=group_ids).order_by("jaargroep", "name"))
        if len(groups) != len(set(group_ids)) or not groups:
            raise LinkRefused(_("Kies een groep van deze school."))
        inactive = [g for g in groups if not g.active]
        if inactive:
            raise LinkRefused(
                _("Groep %(name)s bestaat niet meer in de schooladministratie.") % {"name": inactive[0].name}
            )
        already = set(GroupLink.objects.filter(licence=licence, group__in=groups).values_list("group_id", flat=True))
        new = [g for g in groups if g.pk not in already]
        GroupLink.objects.bulk_create([GroupLink(licence=licence, group=g, school=school) for g in new])
        label = actor_label(actor)
        AuditEvent.objects.bulk_create(
            [
                AuditEvent(
                    action=AuditAction.LINK_GROUP,
                    subject=f"{g.name} – {licence.product.name} {licence.school_year}"[:300],
                    school=school,
                    licence=licence,
                    actor=actor,
                    actor_label=label,
                    before=None,
                    after={"group": g.las_key, "group_name": g.name},
                )
                for g in new
            ]
        )
        if new:
            school_changed(school)
    return new, [g for g in groups if g.pk in already]


def unlink_group(*, school: School, licence_id: int, group_id: int, actor) -> Outcome:
    with transaction.atomic():
        licence = _locked_licence(school, licence_id, LicenceKind.PER_GROUP)
        link = GroupLink.objects.filter(licence=licence, group_id=group_id).select_related("group").first()
        if link is None:
            return Outcome.ALREADY
        group = link.group
        link.delete()
        record(
            action=AuditAction.UNLINK_GROUP,
            subject=f"{group.name} – {licence.product.name} {licence.school_year}",
            school=school,
            licence=licence,
            actor=actor,
            before={"group": group.las_key, "group_name": group.name},
        )
        school_changed(school)
    return Outcome.DONE


def assign_seat(*, school: School, licence_id: int, pupil_id: int, actor, today: dt.date | None = None) -> Outcome:
    """Give one pupil a seat of a per-pupil licence, never more seats than bought."""
    today = today or timezone.localdate()
    with transaction.atomic():
        licence = _locked_licence(school, licence_id, LicenceKind.PER_PUPIL, today)
        # Locked too: an import that is deactivating this pupil finishes first (and we see it), or
        # waits for this seat and then frees it with the pupil's other seats.
        pupil = Pupil.objects.select_for_update(no_key=True).filter(school=school, pk=pupil_id).first()
        if pupil is None:
            raise LinkRefused(_("Kies een leerling van deze school."))
        if not pupil.active:
            raise LinkRefused(
                _("%(name)s staat niet (meer) als actief in de schooladministratie.") % {"name": pupil.full_name}
            )
        if Seat.objects.filter(licence=licence, pupil=pupil).exists():
            return Outcome.ALREADY
        if Seat.objects.filter(licence=licence).count() >= licence.seats:
            raise LinkRefused(
                _("Er zijn geen licenties meer beschikbaar voor %(product)s.") % {"product": licence.product.name}
            )
        Seat.objects.create(licence=licence, pupil=pupil, school=school)
        record(
            action=AuditAction.ASSIGN_SEAT,
            subject=f"{pupil.full_name} – {licence.product.name} {licence.school_year}",
            school=school,
            licence=licence,
            actor=actor,
            after={"pupil": pupil.basispoort_id, "pupil_name": pupil.full_name},
        )
        school_changed(school)
    return Outcome.DONE


def release_seat(*, school: School, licence_id: int, pupil_id: int, actor) -> Outcome:
    with transaction.atomic():
        licence = _locked_licence(school, licence_id, LicenceKind.PER_PUPIL)
        seat = Seat.objects.filter(licence=licence, pupil_id=pupil_id).select_related("pupil").first()
        if seat is None:
            return Outcome.ALREADY
        pupil = seat.pupil
        seat.delete()
        record(
            action=AuditAction.RELEASE_SEAT,
            subject=f"{pupil.full_name} – {licence.product.name} {licence.school_year}",
            school=school,
            licence=licence,
            actor=actor,
            before={"pupil": pupil.basispoort_id, "pupil_name": pupil.full_name},
        )
        school_changed(school)
    return Outcome.DONE


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
        if seats:
            school_changed(school)
    return len(seats)
