""" "Nieuw schooljaar": carry this school year's licence links into the coming one.

When the school has licences for the coming school year, Beheer home shows a notice
(``licenses.new_year_notice``) and the page "Nieuw schooljaar" proposes links for them,
derived from this year's links of the same product:

- per group: the groups of the new year whose year levels the product covers *and* that
  last year's linked groups had (linked to groups 4 and 5 → the new groups 4, 5 and 4/5);
- per pupil: the pupils who hold a seat of the product this year and whose new jaargroep the
  product covers, up to the seats still free; the rest are listed as "geen plaats meer".

The window: the notice and the page are there from the moment licences of the coming school
year exist until 31 October of that school year (after the autumn holiday, every region's
school year is well under way). See ``season``.

Proposals are made only from the new group division. The school's roster belongs to the
school year of its last change in Basispoort (``School.mutation_timestamp``); while that is
still the old year, the page shows the handbook's checklist for the school administration
instead. Last year's year levels of each group come from ``GroupYearLevels``, which the nightly
job ``remember_year_levels`` keeps before the import changes the groups.

``apply_new_year`` links what the coordinator kept ticked in one transaction, with every
target licence row locked (``SELECT … FOR UPDATE``, as in ``licenses.actions``), seat limits
checked under that lock, and one audit row per link with the reason "nieuw schooljaar".
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from licenses.models import (
    DeclinedProposal,
    GroupLink,
    GroupYearLevels,
    Licence,
    LicenceKind,
    Seat,
)
from licenses.year_levels import group_year_levels, pupils_year_levels
from roster.models import Group, School
from roster.school_year import next_school_year, previous_school_year, school_year_of, sorted_year_levels

REASON = "nieuw schooljaar"
# The last day of the window in the new school year: the end of October.
AUTUMN_END_MONTH, AUTUMN_END_DAY = 10, 31
KEY_RE = re.compile(r"^([gp])-(\d{1,18})-(\d{1,18})$")


def autumn_end(year: str) -> dt.date:
    return dt.date(int(year[:4]), AUTUMN_END_MONTH, AUTUMN_END_DAY)


@dataclass(frozen=True)
class Season:
    """Which school year is being prepared (``target``) and from which year's links (``source``)."""

    source: str
    target: str


def season(school: School, today: dt.date) -> Season | None:
    """The coming school year when the school has licences for it; otherwise, from 1 August to
    31 October, the school year that just began. None outside the window."""
    current = school_year_of(today)
    years = set(
        Licence.objects.filter(school=school, school_year__in=[current, next_school_year(current)]).values_list(
            "school_year", flat=True
        )
    )
    return season_of(years, today)


def season_of(years: set[str], today: dt.date) -> Season | None:
    """:func:`season` from the school years the school holds licences for (no query)."""
    current = school_year_of(today)
    coming = next_school_year(current)
    if coming in years:
        return Season(source=current, target=coming)
    if current in years and today <= autumn_end(current):
        return Season(source=previous_school_year(current), target=current)
    return None


def roster_year(school: School) -> str | None:
    """The school year the school's roster belongs to: that of its last change in Basispoort."""
    if school.mutation_timestamp is None:
        return None
    return school_year_of(timezone.localtime(school.mutation_timestamp).date())


# Proposals --------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupProposal:
    key: str
    group: Group
    levels: list[str]
    last_year: list[str]  # names of last year's linked groups that had these levels


@dataclass(frozen=True)
class PupilLine:
    pupil_id: int
    basispoort_id: int  # what the audit rows name, so retention can pseudonymise them
    name: str
    group_name: str
    jaargroep: str


@dataclass(frozen=True)
class PupilProposal:
    key: str
    pupil: PupilLine


@dataclass
class LicencePlan:
    licence: Licence
    last_year_levels: list[str] = field(default_factory=list)
    had_links_last_year: bool = False
    groups: list[GroupProposal] = field(default_factory=list)
    groups_already: list[Group] = field(default_factory=list)
    pupils: list[PupilProposal] = field(default_factory=list)
    pupils_already: int = 0
    no_room: list[PupilLine] = field(default_factory=list)
    not_covered: list[PupilLine] = field(default_factory=list)
    seats_free: int = 0

    @property
    def is_per_group(self) -> bool:
        return self.licence.kind == LicenceKind.PER_GROUP


@dataclass
class NewYearPlan:
    season: Season
    roster_year: str | None
    licences: list[LicencePlan] = field(default_factory=list)
    # Keys of proposals left unticked when the proposals were applied before: shown unticked.
    declined: set[str] = field(default_factory=set)

    @property
    def stale(self) -> bool:
        """True while the school's roster still shows the old group division."""
        return self.roster_year is None or self.roster_year < self.season.target

    def outline(self, only: Collection[int] | None = None) -> NewYearPlan:
        """The same season and licences (or those ``only`` names) without any proposal, for
        ``propose`` to fill in (the page keeps the outline, shared by its requests, and fills in a copy)."""
        return NewYearPlan(
            self.season,
            self.roster_year,
            [LicencePlan(item.licence) for item in self.licences if only is None or item.licence.pk in only],
        )

    @property
    def proposal_count(self) -> int:
        return sum(len(p.groups) + len(p.pupils) for p in self.licences)

    def proposals(self) -> dict[str, tuple[LicencePlan, GroupProposal | PupilProposal]]:
        return {proposal.key: (plan, proposal) for plan in self.licences for proposal in [*plan.groups, *plan.pupils]}


def _current_levels(school: School) -> tuple[list[Group], dict[int, set[str]]]:
    """All groups of the school, and each group's year levels now: its own jaargroep, or for a
    combination group (no jaargroep of its own) those of its active pupils."""
    groups = list(Group.objects.filter(school=school).order_by("jaargroep", "name", "pk"))
    pupils = pupils_year_levels([school.pk])
    levels: dict[int, set[str]] = defaultdict(set)
    for group in groups:
        found = group_year_levels(group.jaargroep, pupils.get(group.pk, set()))
        if found:
            levels[group.pk] = found
    return groups, levels


def build_plan(school: School, today: dt.date | None = None, *, for_update: bool = False) -> NewYearPlan | None:
    """Every proposal for the coming school year, in a fixed number of queries.

    With ``for_update`` the target licences are locked (inside the caller's transaction).
    """
    plan = plan_outline(school, today, for_update=for_update)
    if plan is not None:
        propose(plan, school)
    return plan


def plan_outline(school: School, today: dt.date | None = None, *, for_update: bool = False) -> NewYearPlan | None:
    """The season and every target licence, without proposals yet (``propose`` adds them)."""
    today = today or timezone.localdate()
    current = season(school, today)
    if current is None:
        return None
    plan = NewYearPlan(season=current, roster_year=roster_year(school))
    targets = Licence.objects.filter(school=school, school_year=current.target).select_related("product__method")
    if for_update:
        targets = targets.select_for_update(no_key=True, of=("self",)).order_by("pk")
    targets = sorted(
        targets, key=lambda lic: (lic.product.method.name, lic.product.product_type, lic.product.name, lic.pk)
    )
    plan.licences = [LicencePlan(licence=licence) for licence in targets]
    return plan


@dataclass(frozen=True)
class RosterLevels:
    """What the proposals read of the school's roster alone: every group, each group's year
    levels now, and the names and year levels the groups had in the season's source year
    (``GroupYearLevels``). The roster import and ``remember_year_levels`` change it, a
    coordinator does not (the page keeps it, ``licenses.page_cache.kept``)."""

    groups: list[Group]
    levels_now: dict[int, set[str]]
    levels_then: dict[int, set[str]]
    names_then: dict[int, str]


def roster_levels(school: School, source_year: str) -> RosterLevels:
    """:class:`RosterLevels` in three queries."""
    groups, levels_now = _current_levels(school)
    then = GroupYearLevels.objects.filter(school=school, school_year=source_year).values_list(
        "group_id", "name", "levels"
    )
    levels_then: dict[int, set[str]] = {}
    names_then: dict[int, str] = {}
    for group_id, name, levels in then:
        levels_then[group_id] = set(levels)
        names_then[group_id] = name
    return RosterLevels(groups, dict(levels_now), levels_then, names_then)


def propose(
    plan: NewYearPlan, school: School, only: Collection[int] | None = None, roster: RosterLevels | None = None
) -> None:
    """Fill in the proposals of ``plan``'s licences, or only of those ``only`` names (the page
    renders each licence's card on its own, ``licenses.page_cache``), from ``roster`` where the
    caller kept it (read now otherwise)."""
    current = plan.season
    proposing = [item for item in plan.licences if only is None or item.licence.pk in only]
    if not proposing or plan.stale:
        return
    targets = [item.licence for item in proposing]
    roster = roster or roster_levels(school, current.source)
    groups, levels_now = roster.groups, roster.levels_now
    levels_then, names_then = roster.levels_then, roster.names_then
    by_id = {g.pk: g for g in groups}

    # Only what the proposed kinds need, both years in one query: a touched card is one licence.
    linked_now, source_links = _group_links(school, current.source, [i.licence for i in proposing if i.is_per_group])
    seated_now, holders = _seats(school, current.source, [i.licence for i in proposing if not i.is_per_group])

    for item in proposing:
        licence = item.licence
        covers = set(licence.product.year_levels)
        if item.is_per_group:
            last_ids = source_links.get(licence.product_id, set())
            item.had_links_last_year = bool(last_ids)
            last_levels: dict[str, list[str]] = defaultdict(list)
            for group_id in last_ids:
                group = by_id.get(group_id)
                name = names_then.get(group_id) or (group.name if group else "")
                for level in levels_then.get(group_id, levels_now.get(group_id, set())):
                    last_levels[level].append(name)
            item.last_year_levels = sorted_year_levels(last_levels)
            wanted = covers & set(last_levels)
            for group in groups:
                if not group.active or group.is_subgroup:
                    continue
                shared = levels_now.get(group.pk, set()) & wanted
                if not shared:
                    continue
                if group.pk in linked_now[licence.pk]:
                    item.groups_already.append(group)
                    continue
                names = sorted({name for level in shared for name in last_levels[level]})
                item.groups.append(
                    GroupProposal(
                        key=f"g-{licence.pk}-{group.pk}",
                        group=group,
                        levels=sorted_year_levels(levels_now[group.pk]),
                        last_year=names,
                    )
                )
        else:
            taken = seated_now[licence.pk]
            item.pupils_already = len(taken)
            item.seats_free = licence.seats_left(len(taken))
            free = item.seats_free
            last_holders = holders.get(licence.product_id, {})
            item.had_links_last_year = bool(last_holders)
            for pupil_id, line in last_holders.items():
                if pupil_id in taken:
                    continue
                if line.jaargroep not in covers:
                    item.not_covered.append(line)
                elif free > 0:
                    item.pupils.append(PupilProposal(key=f"p-{licence.pk}-{pupil_id}", pupil=line))
                    free -= 1
                else:
                    item.no_room.append(line)
    plan.declined = set(DeclinedProposal.objects.filter(licence__in=targets).values_list("key", flat=True))


def _group_links(
    school: School, source_year: str, licences: list[Licence]
) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    """The groups each of ``licences`` is linked to now, by licence, and the groups their
    products' per-group licences of the source year were linked to, by product (one query)."""
    linked_now: dict[int, set[int]] = defaultdict(set)
    last_year: dict[int, set[int]] = defaultdict(set)
    if not licences:
        return linked_now, last_year
    ids = {licence.pk for licence in licences}
    products = {licence.product_id for licence in licences}
    links = GroupLink.objects.filter(school=school).filter(
        Q(licence__in=ids)
        | Q(licence__school_year=source_year, licence__product_id__in=products, licence__kind=LicenceKind.PER_GROUP)
    )
    for licence_id, school_year, product_id, group_id in links.values_list(
        "licence_id", "licence__school_year", "licence__product_id", "group_id"
    ):
        if licence_id in ids:
            linked_now[licence_id].add(group_id)
        if school_year == source_year:
            last_year[product_id].add(group_id)
    return linked_now, last_year


def _seats(
    school: School, source_year: str, licences: list[Licence]
) -> tuple[dict[int, set[int]], dict[int, dict[int, PupilLine]]]:
    """The pupils holding a seat of each of ``licences`` now, by licence, and the active pupils
    holding a seat of their products in the source year, as they are in the new roster, by
    product and pupil in the order of their groups and names (one query)."""
    seated_now: dict[int, set[int]] = defaultdict(set)
    holders: dict[int, dict[int, PupilLine]] = defaultdict(dict)
    if not licences:
        return seated_now, holders
    ids = {licence.pk for licence in licences}
    products = {licence.product_id for licence in licences}
    seats = Seat.objects.filter(school=school).filter(
        Q(licence__in=ids) | Q(licence__school_year=source_year, licence__product_id__in=products, pupil__active=True)
    )
    for (
        licence_id,
        school_year,
        product_id,
        pupil_id,
        basispoort_id,
        first,
        infix,
        last,
        level,
        group_name,
    ) in seats.values_list(
        "licence_id",
        "licence__school_year",
        "licence__product_id",
        "pupil_id",
        "pupil__basispoort_id",
        "pupil__first_name",
        "pupil__infix",
        "pupil__last_name",
        "pupil__jaargroep",
        "pupil__group__name",
    ).order_by("pupil__group__jaargroep", "pupil__group__name", "pupil__last_name", "pupil__first_name", "pupil_id"):
        if licence_id in ids:
            seated_now[licence_id].add(pupil_id)
        if school_year != source_year:
            continue
        given = " ".join(part for part in (first, infix) if part)
        holders[product_id][pupil_id] = PupilLine(
            pupil_id=pupil_id,
            basispoort_id=basispoort_id,
            name=f"{last}, {given}" if given else last,
            group_name=group_name or "–",
            jaargroep=level,
        )
    return seated_now, holders
