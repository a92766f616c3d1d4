"""Read-only roster queries behind the Schoolgegevens tabs, the Beheer home and the teacher's start page.

Every function takes a school that the caller already got from ``roster.access`` and asks
the database a fixed number of questions, however many pupils, groups or licences the school
has: counts and coverage are aggregated in SQL, lists come with their relations prefetched.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import SimpleNamespace

from django.db import models
from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from roster.models import Appointment, AppointmentRole, Group, Pupil, Role, School
from roster.naming import folded, group_order, natural_key, pupil_number, search_words
from roster.school_year import school_year_of

TEACHING_ROLES = (Role.TEACHER, Role.SUBSTITUTE, Role.TRAINEE, Role.IB_RT)


def current_school_year(today: dt.date | None = None) -> str:
    return school_year_of(today or timezone.localdate())


def current_appointments_of(school: School, today: dt.date | None = None) -> QuerySet[Appointment]:
    """Staff who are listed at the school today (the same rule the access helper applies)."""
    today = today or timezone.localdate()
    return Appointment.objects.filter(school=school, active=True).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=today)
    )


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
    """Active groups with their current teachers and their number of active pupils (a list of
    them goes through ``sorted(…, key=naming.group_order)``: SQL cannot sort "Groep 4/5" as 4)."""
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


class PupilOrder(models.TextChoices):
    """How the Leerlingen tab can sort; the value is the ``sorteer`` parameter of its links."""

    NAME = "naam", _("Naam")
    GROUP = "groep", _("Groep")
    YEAR_LEVEL = "jaargroep", _("Jaargroep")


def search_pupils(school: School, query: str, group: Group | None = None, order: str = PupilOrder.NAME) -> list[int]:
    """Ids of the active pupils in which every word of ``query`` is found — in the first name,
    infix, surname or the pupil number the lists show beside a shared name —, in ``group``
    (a group or a subgroup) if one is given, sorted by ``order``.

    Words are compared without case or accents ("zoe" finds Zoë, "yilmaz" Yılmaz) and in any
    order, so the list's own "Jansen, Liv" finds Liv Jansen. The comparison is done here rather
    than in SQL so that it is the same on PostgreSQL and on the demo's SQLite (neither
    ``unaccent`` nor SQLite's ``LIKE`` folds "ı" or "ë"): one query of short tuples, however
    many pupils match.
    """
    pupils = Pupil.objects.filter(school=school, active=True)
    if group is not None:
        pupils = pupils.filter(Q(subgroups=group) if group.is_subgroup else Q(group=group))
    rows = pupils.values_list(
        "pk",
        "first_name",
        "infix",
        "last_name",
        "las_key",
        "basispoort_id",
        "jaargroep",
        "group__name",
        "group__jaargroep",
        "group__is_subgroup",
    )
    words = search_words(query)
    found = []
    for pk, first, infix, last, las_key, basispoort_id, jaargroep, *group_fields in rows:
        text = folded(f"{first} {infix} {last} {pupil_number(las_key, basispoort_id)}")
        if all(word in text for word in words):
            name = (folded(last), folded(first), folded(infix), pk)
            found.append((pk, name, natural_key(jaargroep), group_fields))
    if order == PupilOrder.GROUP:
        found.sort(key=lambda row: (_group_key(row[3]), row[1]))
    elif order == PupilOrder.YEAR_LEVEL:
        found.sort(key=lambda row: (row[2] == (), row[2], row[1]))
    else:
        found.sort(key=lambda row: row[1])
    return [row[0] for row in found]


def _group_key(fields: list) -> tuple:
    name, jaargroep, is_subgroup = fields
    if name is None:  # no group: after every group
        return (True, ())
    return (False, group_order(SimpleNamespace(name=name, jaargroep=jaargroep, is_subgroup=is_subgroup)))


def pupils_by_id(ids: list[int]) -> list[Pupil]:
    """The pupils of ``ids`` (one page of a search), in that order, with their group."""
    pupils = {pupil.pk: pupil for pupil in Pupil.objects.filter(pk__in=ids).select_related("group")} if ids else {}
    return [pupils[pk] for pk in ids]


def teacher_groups(appointment: Appointment) -> list[Group]:
    return sorted(with_pupil_count(appointment.groups.filter(active=True)), key=group_order)
