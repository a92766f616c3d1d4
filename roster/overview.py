"""Read-only queries behind the Beheer pages and the teacher's start page.

Every function takes a school that the caller already got from ``roster.access`` and asks
the database a fixed number of questions, however many pupils, groups or licences the school
has: counts and coverage are aggregated in SQL, lists come with their relations prefetched.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from licenses.models import GroupLink, Licence, LicenceKind, Method, ProductType, Seat, school_year_of
from roster.models import Appointment, AppointmentRole, Group, Pupil, Role, School

TEACHING_ROLES = (Role.TEACHER, Role.SUBSTITUTE, Role.TRAINEE, Role.IB_RT)


def percent(part: int, whole: int) -> int:
    """Whole percent for a bar's width; a bar never runs past 100 %."""
    if whole <= 0:
        return 0
    return min(100, round(100 * part / whole))


def current_school_year(today: dt.date | None = None) -> str:
    return school_year_of(today or timezone.localdate())


def current_appointments_of(school: School, today: dt.date | None = None) -> QuerySet[Appointment]:
    """Staff who are listed at the school today (the same rule the access helper applies)."""
    today = today or timezone.localdate()
    return Appointment.objects.filter(school=school, active=True).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=today)
    )


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
        return max(0, self.total - self.used)

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
    via_group = GroupLink.objects.filter(licence__school_year=school_year, group__active=True).filter(
        Q(group_id=OuterRef("group_id")) | Q(group__subgroup_pupils=OuterRef("pk"))
    )
    via_seat = Seat.objects.filter(pupil=OuterRef("pk"), licence__school_year=school_year)
    rows = (
        Pupil.objects.filter(school=school, active=True)
        .annotate(has_licence=Exists(via_group) | Exists(via_seat))
        .values("jaargroep")
        .annotate(pupils=Count("pk"), covered=Count("pk", filter=Q(has_licence=True)))
        .order_by()
    )
    coverage = [YearLevelCoverage(row["jaargroep"], row["pupils"], row["covered"]) for row in rows]
    return sorted(coverage, key=lambda row: year_level_sort_key(row.jaargroep))


def year_level_sort_key(jaargroep: str) -> tuple[int, int, str]:
    """1–8 in number order; special codes (0, S, V, …) after them; unknown last."""
    if jaargroep.isdigit():
        return (0, int(jaargroep), "")
    return (1 if jaargroep else 2, 0, jaargroep)


@dataclass(frozen=True)
class RosterCounts:
    groups: int
    pupils: int
    teachers: int
    coordinators: int


def roster_counts(school: School) -> RosterCounts:
    appointments = current_appointments_of(school).aggregate(
        teachers=Count("pk", filter=Q(roles__role__in=TEACHING_ROLES), distinct=True),
        coordinators=Count("pk", filter=Q(roles__role=Role.ICT_COORDINATOR), distinct=True),
    )
    groups = Group.objects.filter(school=school, active=True).count()
    pupils = Pupil.objects.filter(school=school, active=True).count()
    return RosterCounts(groups, pupils, appointments["teachers"], appointments["coordinators"])


# Schoolgegevens tabs --------------------------------------------------------------------------


def _count_of(queryset: QuerySet, column: str) -> Subquery:
    counted = queryset.values(column).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_pupil_count(groups: QuerySet[Group]) -> QuerySet[Group]:
    """Annotate ``pupil_count``: active pupils in each group.

    A pupil is in a regular group through ``Pupil.group`` and in a subgroup through
    ``Pupil.subgroups``; the count follows whichever applies.
    """
    in_group = _count_of(Pupil.objects.filter(group=OuterRef("pk"), active=True), "group")
    in_subgroup = _count_of(Pupil.objects.filter(subgroups=OuterRef("pk"), active=True), "subgroups")
    return groups.annotate(pupil_count=Case(When(is_subgroup=True, then=in_subgroup), default=in_group))


def groups_with_teachers(school: School) -> QuerySet[Group]:
    """Active groups with their current teachers and their number of active pupils."""
    teachers = current_appointments_of(school).select_related("staff").order_by("staff__last_name", "staff__first_name")
    return (
        with_pupil_count(Group.objects.filter(school=school, active=True))
        .prefetch_related(Prefetch("teachers", queryset=teachers, to_attr="current_teachers"))
        .order_by("is_subgroup", "jaargroep", "name")
    )


def pupils_of_group(group: Group) -> QuerySet[Pupil]:
    relation = Q(subgroups=group) if group.is_subgroup else Q(group=group)
    return Pupil.objects.filter(relation, school=group.school_id, active=True).order_by(
        "last_name", "first_name", "infix"
    )


def staff_with_role(school: School, *roles: str) -> QuerySet[Appointment]:
    """Current appointments holding any of ``roles``, with their roles and active groups."""
    return (
        current_appointments_of(school)
        .filter(Exists(AppointmentRole.objects.filter(appointment=OuterRef("pk"), role__in=roles)))
        .select_related("staff")
        .prefetch_related(
            "roles",
            Prefetch("groups", queryset=Group.objects.filter(active=True).order_by("jaargroep", "name")),
        )
        .order_by("staff__last_name", "staff__first_name", "staff__infix")
    )


def search_pupils(school: School, query: str) -> QuerySet[Pupil]:
    """Active pupils, each word of ``query`` found in the first name, infix or surname."""
    pupils = Pupil.objects.filter(school=school, active=True).select_related("group")
    for word in query.split():
        pupils = pupils.filter(
            reduce(or_, (Q(**{f"{name}__icontains": word}) for name in ("first_name", "infix", "last_name")))
        )
    return pupils.order_by("last_name", "first_name", "infix", "pk")


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


def teacher_groups(appointment: Appointment) -> list[Group]:
    return list(with_pupil_count(appointment.groups.filter(active=True)).order_by("is_subgroup", "jaargroep", "name"))


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
