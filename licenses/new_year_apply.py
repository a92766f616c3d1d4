"""Applying the "Nieuw schooljaar" proposals: all ticked links in one transaction, under the
target licences' row locks, with one audit row each (see ``licenses.new_year`` for the plan)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from audit import records
from audit.models import AuditAction
from audit.records import Actor
from licenses import page_cache
from licenses.actions import LinkRefused
from licenses.models import (
    DeclinedProposal,
    GroupLink,
    Seat,
)
from licenses.new_year import KEY_RE, REASON, GroupProposal, NewYearPlan, build_plan
from licenses.signals import announce_licences_changed
from roster.models import School


@dataclass(frozen=True)
class Applied:
    groups: int
    pupils: int
    declined: int = 0  # proposals newly left unticked, remembered as such

    @property
    def changed(self) -> bool:
        return bool(self.groups or self.pupils)


def summary(applied: Applied) -> str:
    """ "12 groepen en 41 leerlingen gekoppeld." with the right plural for each number."""
    if not applied.changed:
        if applied.declined:
            return _("Er is niets gekoppeld. Wat je hebt uitgevinkt, blijft uitgevinkt.")
        return _("Er was niets meer te koppelen; er is niets veranderd.")
    groups = ngettext("%(count)d groep", "%(count)d groepen", applied.groups) % {"count": applied.groups}
    pupils = ngettext("%(count)d leerling", "%(count)d leerlingen", applied.pupils) % {"count": applied.pupils}
    return _("%(groups)s en %(pupils)s gekoppeld.") % {"groups": groups, "pupils": pupils}


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
                group = proposal.group
                group_links.append(GroupLink(licence=licence, group=group, school=school))
                events.append(
                    records.Entry(
                        AuditAction.LINK_GROUP,
                        records.subject(group.name, f"{licence.product.name} {licence.school_year} ({REASON})"),
                        school.pk,
                        licence.pk,
                        after=records.group_facts(group.las_key, group.name, reason=REASON),
                    )
                )
            else:
                per_licence_seats[licence.pk] += 1
                if per_licence_seats[licence.pk] > item.seats_free:
                    raise LinkRefused(
                        _("Er zijn geen licenties meer beschikbaar voor %(product)s.")
                        % {"product": licence.product.name}
                    )
                pupil = proposal.pupil
                seats.append(Seat(licence=licence, pupil_id=pupil.pupil_id, school=school))
                events.append(
                    records.Entry(
                        AuditAction.ASSIGN_SEAT,
                        records.subject(pupil.name, f"{licence.product.name} {licence.school_year} ({REASON})"),
                        school.pk,
                        licence.pk,
                        after=records.proposal_pupil_facts(pupil.pupil_id, pupil.name, REASON),
                    )
                )
        GroupLink.objects.bulk_create(group_links)
        Seat.objects.bulk_create(seats)
        records.record_many(events, actor)
        declined = _remember_unticked(school, plan, proposals, unticked=seen - chosen, ticked=chosen)
        if group_links or seats:
            announce_licences_changed(school)
        elif declined:
            page_cache.bump([school.pk])  # the page shows them unticked now
    return Applied(groups=len(group_links), pupils=len(seats), declined=declined)


def _remember_unticked(
    school: School, plan: NewYearPlan, proposals: dict, *, unticked: set[str], ticked: set[str]
) -> int:
    """Remember the proposals left unticked (only current ones), forget those ticked again;
    returns how many are remembered that were not before."""
    new = sorted((unticked & proposals.keys()) - plan.declined)
    DeclinedProposal.objects.bulk_create(
        [DeclinedProposal(school=school, licence=proposals[key][0].licence, key=key) for key in new],
        ignore_conflicts=True,  # another coordinator's click at the same moment
    )
    again = ticked & plan.declined
    if again:
        DeclinedProposal.objects.filter(licence__school=school, key__in=again).delete()
    return len(new)


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
