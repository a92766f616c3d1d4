"""Read-only queries that combine the roster with licences: the Beheer home's licence summary
and the teacher's start page.

Like ``roster.overview`` every function takes a school the caller got from ``roster.access``
and asks the database a fixed number of questions, however large the school.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q

from bingel_admin.numbers import percent
from licenses.models import GroupLink, Licence, LicenceKind, Method, ProductType, Seat
from roster.models import Group, Pupil, School
from roster.overview import current_school_year
from roster.school_year import year_level_sort_key

# Beheer home ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeatUsage:
    licence: Licence
    used: int

    @property
    def total(self) -> int:
        return self.licence.seats or 0

    @property
    def available(self) -> int:
        return self.licence.seats_left(self.used)

    @property
    def percent(self) -> int:
        return percent(self.used, self.total)

    @property
    def full(self) -> bool:
        return self.used >= self.total


@dataclass(frozen=True)
class YearLevelCoverage:
    jaargroep: str
    pupils: int
    covered: int

    @property
    def percent(self) -> int:
        return percent(self.covered, self.pupils)


@dataclass
class LicenceOverview:
    school_year: str
    linked: list[Licence] = field(default_factory=list)
    unlinked: list[Licence] = field(default_factory=list)
    seats: list[SeatUsage] = field(default_factory=list)
    coverage: list[YearLevelCoverage] = field(default_factory=list)

    @property
    def group_licence_count(self) -> int:
        return len(self.linked) + len(self.unlinked)

    @property
    def linked_percent(self) -> int:
        return percent(len(self.linked), self.group_licence_count)

    @property
    def is_empty(self) -> bool:
        return not (self.group_licence_count or self.seats)


def licence_overview(school: School, school_year: str | None = None) -> LicenceOverview:
    """The school's licences of one school year: which group licences reach a group, how
    full each per-pupil licence is, and how many pupils per year level have any licence."""
    year = school_year or current_school_year()
    overview = LicenceOverview(school_year=year)
    licences = (
        Licence.objects.filter(school=school, school_year=year)
        .select_related("product__method")
        .annotate(
            linked_groups=Count("group_links", filter=Q(group_links__group__active=True), distinct=True),
            used_seats=Count("seats_taken", distinct=True),
        )
    )
    for licence in licences:
        if licence.kind == LicenceKind.PER_PUPIL:
            overview.seats.append(SeatUsage(licence, licence.used_seats))
        elif licence.linked_groups:
            overview.linked.append(licence)
        else:
            overview.unlinked.append(licence)
    overview.coverage = coverage_per_year_level(school, year)
    return overview


def coverage_per_year_level(school: School, school_year: str) -> list[YearLevelCoverage]:
    """Per year level: active pupils, and how many of them have at least one licence — through
    a group licence linked to their group or one of their subgroups, or a seat of their own."""
    # Three separate look-ups, each by an index: one subquery with "its group OR one of its
    # subgroups" made PostgreSQL walk the country's group links for every pupil (seconds at
    # national scale).
    links = GroupLink.objects.filter(school=school, licence__school_year=school_year, group__active=True)
    via_group = links.filter(group_id=OuterRef("group_id"))
    via_subgroup = links.filter(group__subgroup_pupils=OuterRef("pk"))
    via_seat = Seat.objects.filter(pupil=OuterRef("pk"), licence__school_year=school_year)
    rows = (
        Pupil.objects.filter(school=school, active=True)
        .annotate(has_licence=Exists(via_group) | Exists(via_subgroup) | Exists(via_seat))
        .values("jaargroep")
        .annotate(pupils=Count("pk"), covered=Count("pk", filter=Q(has_licence=True)))
        .order_by()
    )
    coverage = [YearLevelCoverage(row["jaargroep"], row["pupils"], row["covered"]) for row in rows]
    return sorted(coverage, key=lambda row: year_level_sort_key(row.jaargroep))


# Teacher's start page -------------------------------------------------------------------------


@dataclass
class GroupSeats:
    group: Group
    holders: int
    pupils: int


@dataclass
class StartLicence:
    licence: Licence
    groups: list[Group] = field(default_factory=list)
    seats: list[GroupSeats] = field(default_factory=list)


@dataclass
class ProductTypeLicences:
    label: str
    licences: list[StartLicence]


@dataclass
class MethodLicences:
    method: Method
    product_types: list[ProductTypeLicences]


def start_page_licences(school: School, groups: list[Group], school_year: str | None = None) -> list[MethodLicences]:
    """Per method, per product type (in the catalogue's order), the licences that reach these
    groups: a group licence linked to one of them, or seats held by their pupils."""
    if not groups:
        return []
    year = school_year or current_school_year()
    by_id = {group.pk: group for group in groups}
    entries: dict[int, StartLicence] = {}

    links = (
        GroupLink.objects.filter(school=school, group_id__in=by_id, licence__school_year=year)
        .select_related("licence__product__method")
        .order_by("group__jaargroep", "group__name")
    )
    for link in links:
        entries.setdefault(link.licence_id, StartLicence(link.licence)).groups.append(by_id[link.group_id])

    holders: dict[tuple[int, int], int] = defaultdict(int)
    main = [pk for pk, group in by_id.items() if not group.is_subgroup]
    sub = [pk for pk, group in by_id.items() if group.is_subgroup]
    seat_counts = []
    if main:
        seat_counts.append(("pupil__group_id", Q(pupil__group_id__in=main)))
    if sub:
        seat_counts.append(("pupil__subgroups", Q(pupil__subgroups__in=sub)))
    for column, where in seat_counts:
        rows = (
            Seat.objects.filter(where, school=school, licence__school_year=year, pupil__active=True)
            .values("licence_id", column)
            .annotate(n=Count("pupil_id", distinct=True))
            .order_by()
        )
        for row in rows:
            holders[(row["licence_id"], row[column])] += row["n"]
    if holders:
        seat_licences = Licence.objects.filter(pk__in={licence_id for licence_id, _ in holders}).select_related(
            "product__method"
        )
        for licence in seat_licences:
            entry = entries.setdefault(licence.pk, StartLicence(licence))
            for group in groups:
                held = holders.get((licence.pk, group.pk))
                if held:
                    entry.seats.append(GroupSeats(group, held, group.pupil_count))

    type_order = {value: n for n, value in enumerate(ProductType.values)}
    methods: dict[int, MethodLicences] = {}
    ordered = sorted(
        entries.values(),
        key=lambda e: (
            e.licence.product.method.name,
            type_order.get(e.licence.product.product_type, 99),
            e.licence.product.name,
        ),
    )
    for entry in ordered:
        product = entry.licence.product
        method = methods.setdefault(product.method_id, MethodLicences(product.method, []))
        label = product.get_product_type_display()
        if not method.product_types or method.product_types[-1].label != label:
            method.product_types.append(ProductTypeLicences(label, []))
        method.product_types[-1].licences.append(entry)
    return list(methods.values())
