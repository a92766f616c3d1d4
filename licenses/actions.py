"""Every change a person makes to licence links goes through a function here: one transaction,
rules checked with the licence row locked, and an audit row written in the same transaction —
also "Nieuw schooljaar"'s ``apply_new_year``, which links many proposals at once. The nightly
import's changes to seats are in ``licenses.leaver_actions``, which locks a licence the same way
(``locked_licence``)."""

from __future__ import annotations

import datetime as dt
import enum
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import records
from audit.models import AuditAction
from audit.records import Actor
from licenses import stamps
from licenses.models import DeclinedProposal, GroupLink, Licence, LicenceKind, Seat
from licenses.new_year import KEY_RE, REASON, GroupProposal, NewYearPlan, build_plan
from licenses.signals import announce_licences_changed
from roster.models import Group, Pupil, School


class LinkRefused(Exception):
    """A change that breaks a rule; the message is for the coordinator, in their language."""


class Outcome(enum.Enum):
    DONE = "done"
    ALREADY = "already"


@dataclass(frozen=True)
class SeatAssigned:
    """What ``assign_seat`` did, and to whom: all the view needs to say so."""

    outcome: Outcome
    pupil: Pupil
    licence: Licence


def licence_label(licence: Licence) -> str:
    """The product and school year, as audit rows name a licence."""
    return f"{licence.product.name} {licence.school_year}"


def no_seats_left(licence: Licence) -> LinkRefused:
    return LinkRefused(
        _("Er zijn geen licenties meer beschikbaar voor %(product)s.") % {"product": licence.product.name}
    )


def locked_licence(school: School, licence_id: int, kind: str, today: dt.date | None = None) -> Licence:
    """The licence row, locked until the transaction ends, so concurrent changes queue up.

    NO KEY UPDATE: it conflicts with itself, so changes of this licence still queue, but not with
    the KEY SHARE lock a row referring to the licence takes. The nightly import writes such rows
    (a departed pupil's remembered seat) after changing pupils; a click holding this lock while it
    waits for one of those pupils would otherwise deadlock with it.

    With ``today`` the licence must also still be current: new links need that, unlinking not.
    """
    licence = (
        Licence.objects.select_for_update(no_key=True)
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
    *, school: School, licence_id: int, group_ids: list[int], actor: Actor | None, today: dt.date | None = None
) -> tuple[list[Group], list[Group]]:
    """Link a per-group licence to groups; returns (newly linked, already linked)."""
    today = today or timezone.localdate()
    with transaction.atomic():
        licence = locked_licence(school, licence_id, LicenceKind.PER_GROUP, today)
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
        records.record_many(
            (
                records.Entry(
                    AuditAction.LINK_GROUP,
                    records.subject(g.name, licence_label(licence)),
                    school.pk,
                    licence.pk,
                    after=records.group_facts(g.las_key, g.name),
                )
                for g in new
            ),
            actor,
        )
        if new:
            stamps.bump_licences([licence.pk])
            announce_licences_changed(school)
    return new, [g for g in groups if g.pk in already]


def link_year_group(
    *, school: School, licence_id: int, level: str, actor: Actor | None, today: dt.date | None = None
) -> tuple[list[Group], list[Group]]:
    """Link a per-group licence to every active group of one jaargroep that is not linked yet.

    The groups are chosen under the licence lock, so two coordinators clicking "hele jaargroep"
    at once link each group once. Returns (newly linked, already linked); both empty when every
    group of the jaargroep was linked already.
    """
    with transaction.atomic():
        licence = locked_licence(school, licence_id, LicenceKind.PER_GROUP, today or timezone.localdate())
        group_ids = list(
            Group.objects.filter(school=school, active=True, jaargroep=level)
            .exclude(pk__in=GroupLink.objects.filter(licence=licence).values("group_id"))
            .values_list("pk", flat=True)
        )
        if not group_ids:
            return [], []
        return link_groups(school=school, licence_id=licence.pk, group_ids=group_ids, actor=actor, today=today)


def unlink_group(*, school: School, licence_id: int, group_id: int, actor: Actor | None) -> Outcome:
    with transaction.atomic():
        licence = locked_licence(school, licence_id, LicenceKind.PER_GROUP)
        link = GroupLink.objects.filter(licence=licence, group_id=group_id).select_related("group").first()
        if link is None:
            return Outcome.ALREADY
        group = link.group
        link.delete()
        records.record(
            records.Entry(
                AuditAction.UNLINK_GROUP,
                records.subject(group.name, licence_label(licence)),
                school.pk,
                licence.pk,
                before=records.group_facts(group.las_key, group.name),
            ),
            actor,
        )
        stamps.bump_licences([licence.pk])
        announce_licences_changed(school)
    return Outcome.DONE


def assign_seat(
    *, school: School, licence_id: int, pupil_id: int, actor: Actor | None, today: dt.date | None = None
) -> SeatAssigned:
    """Give one pupil a seat of a per-pupil licence, never more seats than bought."""
    today = today or timezone.localdate()
    with transaction.atomic():
        # The pupil first, as the import locks them (pupils, then the licences of their seats): an
        # import that is deactivating this pupil finishes first (and we see it), or waits for this
        # seat and then frees it with the pupil's other seats.
        pupil = Pupil.objects.select_for_update(no_key=True).filter(school=school, pk=pupil_id).first()
        licence = locked_licence(school, licence_id, LicenceKind.PER_PUPIL, today)
        if pupil is None:
            raise LinkRefused(_("Kies een leerling van deze school."))
        if not pupil.active:
            raise LinkRefused(
                _("%(name)s staat niet (meer) als actief in de schooladministratie.") % {"name": pupil.full_name}
            )
        if Seat.objects.filter(licence=licence, pupil=pupil).exists():
            return SeatAssigned(Outcome.ALREADY, pupil, licence)
        if not licence.seats_left(Seat.objects.filter(licence=licence).count()):
            raise no_seats_left(licence)
        Seat.objects.create(licence=licence, pupil=pupil, school=school)
        records.record(
            records.Entry(
                AuditAction.ASSIGN_SEAT,
                records.subject(pupil.full_name, licence_label(licence)),
                school.pk,
                licence.pk,
                after=records.pupil_facts(pupil.basispoort_id, pupil.full_name),
            ),
            actor,
        )
        stamps.bump_licences([licence.pk])
        announce_licences_changed(school)
    return SeatAssigned(Outcome.DONE, pupil, licence)


def release_seat(*, school: School, licence_id: int, pupil_id: int, actor: Actor | None) -> Outcome:
    with transaction.atomic():
        licence = locked_licence(school, licence_id, LicenceKind.PER_PUPIL)
        seat = Seat.objects.filter(licence=licence, pupil_id=pupil_id).select_related("pupil").first()
        if seat is None:
            return Outcome.ALREADY
        pupil = seat.pupil
        seat.delete()
        records.record(
            records.Entry(
                AuditAction.RELEASE_SEAT,
                records.subject(pupil.full_name, licence_label(licence)),
                school.pk,
                licence.pk,
                before=records.pupil_facts(pupil.basispoort_id, pupil.full_name),
            ),
            actor,
        )
        stamps.bump_licences([licence.pk])
        announce_licences_changed(school)
    return Outcome.DONE


# --- Nieuw schooljaar: the ticked proposals of ``licenses.new_year``, linked in one action ---------


@dataclass(frozen=True)
class Applied:
    groups: int
    pupils: int
    declined: int = 0  # proposals newly left unticked, remembered as such

    @property
    def changed(self) -> bool:
        return bool(self.groups or self.pupils)


def parse_keys(values: list[str]) -> set[str]:
    """The ticked proposals; anything that is not a proposal key refuses the whole request."""
    keys = set()
    for value in values:
        if not isinstance(value, str) or not KEY_RE.match(value):
            raise LinkRefused(_("Dit voorstel bestaat niet. Laad de pagina opnieuw en probeer het nog eens."))
        keys.add(value)
    return keys


def apply_new_year(
    *,
    school: School,
    keys: list[str],
    actor: Actor | None,
    shown: list[str] = (),
    today: dt.date | None = None,
) -> Applied:
    """Link every ticked proposal, all or nothing, under the target licences' row locks.

    A ticked proposal that another coordinator has meanwhile linked is skipped, so applying
    twice changes nothing the second time. A key that is no (longer a) proposal refuses all.
    The proposals that were ``shown`` but not ticked are remembered (``DeclinedProposal``) and
    shown unticked from then on; a remembered one that is ticked now is forgotten.
    """
    today = today or timezone.localdate()
    chosen = parse_keys(keys)
    seen = parse_keys(list(shown))
    with transaction.atomic():
        plan = build_plan(school, today, for_update=True)
        if plan is None:
            raise LinkRefused(_("Er zijn geen licenties voor een nieuw schooljaar."))
        if plan.stale:
            raise LinkRefused(
                _(
                    "De nieuwe groepenindeling is nog niet binnen; er is niets gekoppeld. "
                    "Controleer eerst de schooladministratie."
                )
            )
        proposals = plan.proposals()
        already = _already_linked(plan)
        unknown = chosen - proposals.keys() - already
        if unknown:
            raise LinkRefused(
                _("De voorstellen zijn intussen veranderd; er is niets gekoppeld. Bekijk de voorstellen opnieuw.")
            )
        picked = [proposals[key] for key in sorted(chosen & proposals.keys())]
        group_links, seats, events = [], [], []
        per_licence_seats: dict[int, int] = defaultdict(int)
        for item, proposal in picked:
            licence = item.licence
            if isinstance(proposal, GroupProposal):
                group_links.append(GroupLink(licence=licence, group=proposal.group, school=school))
            else:
                per_licence_seats[licence.pk] += 1
                if per_licence_seats[licence.pk] > item.seats_free:  # seats_free: Licence.seats_left
                    raise no_seats_left(licence)
                seats.append(Seat(licence=licence, pupil_id=proposal.pupil.pupil_id, school=school))
            events.append(_proposal_entry(school, licence, proposal))
        GroupLink.objects.bulk_create(group_links)
        Seat.objects.bulk_create(seats)
        records.record_many(events, actor)
        declined, ticked_again = _remember_unticked(school, plan, proposals, unticked=seen - chosen, ticked=chosen)
        records.record_many(
            [_proposal_entry(school, proposals[key][0].licence, proposals[key][1], declined=True) for key in declined],
            actor,
        )
        # Only the cards of the licences linked now, or whose proposals now show (un)ticked.
        stamps.bump_licences(
            [row.licence_id for row in [*group_links, *seats]] + [_licence_of(key) for key in declined + ticked_again]
        )
        if group_links or seats:
            announce_licences_changed(school)
    return Applied(groups=len(group_links), pupils=len(seats), declined=len(declined))


def _proposal_entry(school: School, licence: Licence, proposal, *, declined: bool = False) -> records.Entry:
    """The audit row of a Nieuw schooljaar proposal linked, or left unticked (remembered as declined)."""
    what = f"{licence.product.name} {licence.school_year} ({REASON})"
    if isinstance(proposal, GroupProposal):
        group = proposal.group
        return records.Entry(
            AuditAction.PROPOSAL_DECLINED if declined else AuditAction.LINK_GROUP,
            records.subject(group.name, what),
            school.pk,
            licence.pk,
            after=records.group_facts(group.las_key, group.name, reason=REASON),
        )
    pupil = proposal.pupil
    return records.Entry(
        AuditAction.PROPOSAL_DECLINED if declined else AuditAction.ASSIGN_SEAT,
        records.subject(pupil.name, what),
        school.pk,
        licence.pk,
        after=records.proposal_pupil_facts(pupil.basispoort_id, pupil.name, REASON),
    )


def _remember_unticked(
    school: School, plan: NewYearPlan, proposals: dict, *, unticked: set[str], ticked: set[str]
) -> tuple[list[str], list[str]]:
    """Remember the proposals left unticked (only current ones), forget those ticked again;
    returns the keys remembered that were not before, and those forgotten."""
    new = sorted((unticked & proposals.keys()) - plan.declined)
    DeclinedProposal.objects.bulk_create(
        [DeclinedProposal(school=school, licence=proposals[key][0].licence, key=key) for key in new],
        ignore_conflicts=True,  # another coordinator's click at the same moment
    )
    again = ticked & plan.declined
    if again:
        DeclinedProposal.objects.filter(licence__school=school, key__in=again).delete()
    return new, sorted(again)


def _licence_of(key: str) -> int:
    """The licence a proposal key names (``g-<licence>-<group>`` or ``p-<licence>-<pupil>``)."""
    return int(KEY_RE.match(key)[2])


def _already_linked(plan: NewYearPlan) -> set[str]:
    """Keys of links that exist already: ticking them again is harmless."""
    keys = set()
    for item in plan.licences:
        keys.update(f"g-{item.licence.pk}-{group.pk}" for group in item.groups_already)
    if any(not item.is_per_group for item in plan.licences):
        for licence_id, pupil_id in Seat.objects.filter(
            licence__in=[item.licence for item in plan.licences if not item.is_per_group]
        ).values_list("licence_id", "pupil_id"):
            keys.add(f"p-{licence_id}-{pupil_id}")
    return keys
