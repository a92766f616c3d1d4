"""Read-only views of a school's licences, each built with a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace

from django.db.models import Count, Exists, F, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from bingel_admin.numbers import percent
from licenses.models import DepartedSeat, GroupLink, Licence, LicenceKind, ProductType, Seat
from roster.models import Group, Pupil, School
from roster.naming import group_order, labels, pupil_number
from roster.school_year import next_school_year, school_year_of


def current_licences(school: School, kind: str, today: dt.date):
    """This school year's and later licences of one kind, catalogue joined in, year by year."""
    return (
        Licence.objects.filter(school=school, kind=kind, school_year__gte=school_year_of(today))
        .select_related("product__method")
        .order_by("school_year", "product__method__name", "product__product_type", "product__name")
    )


@dataclass
class YearOfRows:
    """The cards of one school year, under their own heading on the licence pages."""

    school_year: str
    when: str  # "current", "next" or "later"
    rows: list


@dataclass(frozen=True)
class LicenceCard:
    """A place for one licence's card, when the card itself is rendered elsewhere."""

    licence: Licence


def by_school_year(rows: list, today: dt.date) -> list[YearOfRows]:
    """``rows`` (each with a ``licence``, in ``current_licences`` order, so year by year) split per school year."""
    this_year = school_year_of(today)
    when = {this_year: "current", next_school_year(this_year): "next"}
    years: list[YearOfRows] = []
    for row in rows:
        year = row.licence.school_year
        if not years or years[-1].school_year != year:
            years.append(YearOfRows(year, when.get(year, "later"), []))
        years[-1].rows.append(row)
    return years


@dataclass
class GroupLicenceRow:
    licence: Licence
    linked: list[Group] = field(default_factory=list)
    unlinked: list[Group] = field(default_factory=list)
    unlinked_levels: list[str] = field(default_factory=list)


def group_licence_rows(school: School, today: dt.date) -> list[GroupLicenceRow]:
    licences = list(current_licences(school, LicenceKind.PER_GROUP, today))
    groups = sorted(Group.objects.filter(school=school, active=True), key=group_order)
    return rows_with_links(licences, groups, group_links(licences))


def group_links(licences: list[Licence]) -> dict[int, set[int]]:
    """The ids of the groups linked to each of these licences (one query)."""
    linked: dict[int, set[int]] = defaultdict(set)
    for licence_id, group_id in GroupLink.objects.filter(licence__in=licences).values_list("licence_id", "group_id"):
        linked[licence_id].add(group_id)
    return linked


def rows_with_links(licences: list[Licence], groups: list[Group], linked: dict[int, set[int]]) -> list[GroupLicenceRow]:
    """A row for each licence from what was read already (no query): ``groups`` are the school's
    active groups in ``group_order``, ``linked`` the ids of each licence's linked groups."""
    by_id = {g.pk: g for g in groups}
    rows = []
    for licence in licences:
        ids = linked.get(licence.pk, set())
        unlinked = [g for pk, g in by_id.items() if pk not in ids]  # by_id keeps the groups' order
        meant_for = set(licence.product.year_levels)
        levels = {g.jaargroep for g in unlinked if g.jaargroep}
        rows.append(
            GroupLicenceRow(
                licence=licence,
                # A linked group the school administration ended is no longer listed (nor a crash).
                linked=sorted((by_id[i] for i in ids if i in by_id), key=lambda g: (g.jaargroep, g.name)),
                unlinked=unlinked,
                # "Alle toevoegen" only offers the year levels the product is meant for (all when it says none).
                unlinked_levels=sorted(levels & meant_for if meant_for else levels, key=_level_key),
            )
        )
    return rows


@dataclass(frozen=True)
class GroupPage:
    """What "Licenties per groep" reads of the school's own data, without any link: its per-group
    licences in page order, its active groups in ``group_order``, and what the coverage rule
    needs of them (:func:`coverage`). The roster import and the back office change it, a coordinator
    does not (``licenses.page_cache.kept``)."""

    licences: list[Licence]
    groups: list[Group]
    coverage: list[Coverage]


def group_page(school: School, today: dt.date) -> GroupPage:
    """:class:`GroupPage` in four queries."""
    licences = list(current_licences(school, LicenceKind.PER_GROUP, today))
    groups = sorted(Group.objects.filter(school=school, active=True), key=group_order)
    levels = year_levels_by_group([school.pk]).get(school.pk, {})
    return GroupPage(licences, groups, coverage(licences, groups, levels))


@dataclass(frozen=True)
class SeatLine:
    pupil_id: int
    sort_name: str
    full_name: str
    group_name: str
    active: bool
    label: str = ""


@dataclass
class PupilLicenceRow:
    licence: Licence
    seats: list[SeatLine]

    @property
    def used(self) -> int:
        return len(self.seats)

    @property
    def available(self) -> int:
        return self.licence.seats_left(self.used)

    @property
    def percent_used(self) -> int:
        return percent(self.used, self.licence.seats, when_empty=100, capped=False)


def rows_with_seats(licences: list[Licence]) -> list[PupilLicenceRow]:
    """A row for each of these per-pupil licences (from :func:`current_licences`) with its seats (one query)."""
    seats: dict[int, list[SeatLine]] = defaultdict(list)
    # Plain tuples, not model instances: the largest school has hundreds of seats per page.
    for licence_id, pupil_id, first, infix, last, active, group_name, las_key, basispoort_id in (
        Seat.objects.filter(licence__in=licences)
        .order_by("pupil__last_name", "pupil__first_name", "pupil_id")
        .values_list(
            "licence_id",
            "pupil_id",
            "pupil__first_name",
            "pupil__infix",
            "pupil__last_name",
            "pupil__active",
            "pupil__group__name",
            "pupil__las_key",
            "pupil__basispoort_id",
        )
    ):
        given = " ".join(part for part in (first, infix) if part)
        seats[licence_id].append(
            SeatLine(
                pupil_id=pupil_id,
                sort_name=f"{last}, {given}" if given else last,
                full_name=" ".join(part for part in (first, infix, last) if part),
                group_name=group_name or "–",
                active=active,
                label=pupil_number(las_key, basispoort_id),
            )
        )
    for lines in seats.values():
        shown = labels([(line.sort_name, line.label) for line in lines])
        lines[:] = [replace(line, label=text) for line, text in zip(lines, shown, strict=True)]
    return [PupilLicenceRow(licence=lic, seats=seats[lic.pk]) for lic in licences]


@dataclass(frozen=True)
class Attention:
    """A point for the coordinator's attention, with the address of the card where it is fixed."""

    text: str
    url: str

    def __str__(self) -> str:
        return self.text


def _card_url(page: str, licence: Licence) -> str:
    return reverse(page, args=[licence.school_id]) + f"#licentie-{licence.pk}"


def _full_warning(licence: Licence) -> Attention:
    # The school year is named: Beheer home lists next year's licences' points above this year's table.
    return Attention(
        _("%(product)s (schooljaar %(year)s): alle %(seats)s licenties per kind zijn in gebruik.")
        % {"product": licence.product.name, "year": licence.school_year, "seats": licence.seats},
        _card_url("licences_per_pupil", licence),
    )


def with_seats_used(school: School, today: dt.date):
    """``current_licences`` of the per-pupil kind, each with ``used``: its seats taken (one query)."""
    return current_licences(school, LicenceKind.PER_PUPIL, today).annotate(used=Count("seats_taken"))


def seat_warnings(licences: list[Licence], used: dict[int, int]) -> list[Attention]:
    """Per-pupil licences with no seat left; ``used`` is each licence's seats taken."""
    return [_full_warning(licence) for licence in licences if licence.seats_left(used[licence.pk]) == 0]


# A group works from the paper or the digital basis of a method, never both: either covers it.
BASIS_TYPES = {ProductType.BASIS_DIGITAAL, ProductType.BASIS_PAPIER}


def coverage_warnings(school: School, rows: list[GroupLicenceRow]) -> list[Attention]:
    """Groups of a year level a product is meant for that have no licence for it linked.

    The paper and the digital basis of one method count as one: a group with either is covered,
    and a group with neither gets one warning, not two. Each school year is looked at on its own:
    a group linked this year is not covered next year.
    """
    return coverage_messages(rows, year_levels_by_group([school.pk]).get(school.pk, {}))


@dataclass(frozen=True)
class CoverageGap:
    """A product (or a method's basis) of one school year with groups of its year levels unlinked."""

    name: str
    licence: Licence  # the first card of the product: the warning links to it
    year_levels: set[str]
    missing: list[str]  # the groups' names, in year-level order


def coverage_gaps(rows: list[GroupLicenceRow], levels_by_group: dict[int, set[str]]) -> list[CoverageGap]:
    """The gaps :func:`coverage_warnings` words, from rows and year levels already read (no query)."""
    # Every row lists all of the school's groups, linked or not.
    groups = next(([*row.linked, *row.unlinked] for row in rows if row.linked or row.unlinked), [])
    products = coverage([row.licence for row in rows], groups, levels_by_group)
    return gaps_in(products, {row.licence.pk: {g.pk for g in row.linked} for row in rows})


@dataclass(frozen=True)
class Coverage:
    """A product (or a method's basis) of one school year: its licences, and the school's groups
    of the year levels it is meant for, in year-level order. Without links (see :func:`gaps_in`),
    so a page keeps it with its licences (``licenses.page_cache.kept``)."""

    name: str
    licence: Licence  # the first card of the product: the warning links to it
    year_levels: set[str]
    licence_ids: list[int]
    groups: list[tuple[int, str]]  # (pk, name)


def coverage(licences: list[Licence], groups: list[Group], levels_by_group: dict[int, set[str]]) -> list[Coverage]:
    """What the coverage rule needs of these licences (in page order) and the school's active
    groups and their year levels (no query)."""
    wanted: dict[tuple, set[str]] = defaultdict(set)
    names: dict[tuple, str] = {}
    first: dict[tuple, Licence] = {}  # the card the warning links to
    ids: dict[tuple, list[int]] = defaultdict(list)
    for licence in licences:
        product = licence.product
        if product.product_type in BASIS_TYPES:
            key = ("basis", product.method_id, licence.school_year)
            variants = names.get(key)
            names[key] = product.name if variants is None or variants == product.name else _basis_name(product)
        else:
            key = ("product", product.pk, licence.school_year)
            names[key] = product.name
        first.setdefault(key, licence)
        wanted[key].update(product.year_levels)
        ids[key].append(licence.pk)
    ordered = [
        (group.pk, group.name, levels_by_group.get(group.pk, set()))
        for group in sorted(
            {g.pk: g for g in groups if not g.is_subgroup}.values(), key=lambda g: (_level_key(g.jaargroep), g.name)
        )
    ]
    return [
        Coverage(
            name,
            first[key],
            wanted[key],
            ids[key],
            [(pk, group) for pk, group, levels in ordered if levels & wanted[key]],
        )
        for key, name in names.items()
    ]


def gaps_in(products: list[Coverage], linked: Mapping[int, Collection[int]]) -> list[CoverageGap]:
    """The gaps of ``products`` given the ids of each licence's linked groups (no query)."""
    gaps = []
    for product in products:
        covered = set().union(*(linked.get(pk, ()) for pk in product.licence_ids))
        missing = [name for pk, name in product.groups if pk not in covered]
        if missing:
            gaps.append(CoverageGap(product.name, product.licence, product.year_levels, missing))
    return gaps


def coverage_messages(rows: list[GroupLicenceRow], levels_by_group: dict[int, set[str]]) -> list[Attention]:
    """:func:`coverage_warnings` from rows and year levels already read (no query)."""
    return gap_messages(coverage_gaps(rows, levels_by_group))


def gap_messages(gaps: list[CoverageGap]) -> list[Attention]:
    """The points for attention of these gaps, each linking to its product's first card."""
    pages: dict[int, str] = {}  # one reverse() per school, not per point

    def card_url(licence: Licence) -> str:
        if licence.school_id not in pages:
            pages[licence.school_id] = reverse("licences_per_group", args=[licence.school_id])
        return f"{pages[licence.school_id]}#licentie-{licence.pk}"

    return [
        Attention(
            _(
                "%(product)s (schooljaar %(year)s) is bedoeld voor jaargroep %(levels)s, "
                "maar niet gekoppeld aan: %(groups)s."
            )
            % {
                "product": gap.name,
                "year": gap.licence.school_year,
                "levels": ", ".join(sorted(gap.year_levels, key=_level_key)),
                "groups": ", ".join(gap.missing),
            },
            card_url(gap.licence),
        )
        for gap in gaps
    ]


def _basis_name(product) -> str:
    return _("%(method)s (Basis digitaal of Basis papier)") % {"method": product.method.name}


def warnings(school: School, today: dt.date) -> list[Attention]:
    """Everything a coordinator should act on before teachers notice (for Beheer home)."""
    full = with_seats_used(school, today).filter(used__gte=F("seats"))
    return [_full_warning(licence) for licence in full] + coverage_warnings(school, group_licence_rows(school, today))


def year_levels_by_group(school_ids: list[int]) -> dict[int, dict[int, set[str]]]:
    """Per school, the year levels in each active group: its own level or (for combination
    groups) its pupils' (two queries whatever the number of schools)."""
    levels = pupil_year_levels_by_group(school_ids)
    for school_id, group_id, level in (
        Group.objects.filter(school_id__in=school_ids, active=True)
        .exclude(jaargroep="")
        .values_list("school_id", "id", "jaargroep")
    ):
        levels[school_id][group_id].add(level)
    return levels


def pupil_year_levels_by_group(school_ids: list[int]) -> dict[int, dict[int, set[str]]]:
    """Per school, the year levels of the active pupils in each group (one query); without the
    group's own level, for a caller that read the groups already."""
    levels: dict[int, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    for school_id, group_id, level in (
        Pupil.objects.filter(school_id__in=school_ids, active=True, group__isnull=False)
        .values_list("school_id", "group_id", "jaargroep")
        .distinct()
    ):
        if level:
            levels[school_id][group_id].add(level)
    return levels


def _level_key(level: str) -> tuple[int, str]:
    return (int(level), "") if level.isdigit() else (99, level)


def seats_not_restored(school: School) -> list[DepartedSeat]:
    """Pupils back at the school this school year whose seat could not come back (every seat was
    taken), and who have not been given one since: one query, for Beheer home."""
    given_since = Seat.objects.filter(licence_id=OuterRef("licence_id"), pupil_id=OuterRef("pupil_id"))
    return list(
        DepartedSeat.objects.filter(
            school=school,
            no_room_at__isnull=False,
            pupil__active=True,
            school_year=school_year_of(timezone.localdate()),
        )
        .exclude(Exists(given_since))
        .select_related("pupil", "licence__product")
        .order_by("pupil__last_name", "pupil__first_name", "licence__product__name")
    )
