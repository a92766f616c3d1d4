"""Read-only views of a school's licences, each built with a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, F
from django.utils.translation import gettext as _

from licenses.models import GroupLink, Licence, LicenceKind, Seat, school_year_of
from roster.models import Group, Pupil, School


def current_licences(school: School, kind: str, today: dt.date):
    """This school year's and later licences of one kind, catalogue joined in."""
    return (
        Licence.objects.filter(school=school, kind=kind, school_year__gte=school_year_of(today))
        .select_related("product__method")
        .order_by("product__method__name", "product__product_type", "product__name", "school_year")
    )


@dataclass
class GroupLicenceRow:
    licence: Licence
    linked: list[Group] = field(default_factory=list)
    unlinked: list[Group] = field(default_factory=list)
    unlinked_levels: list[str] = field(default_factory=list)


def group_licence_rows(school: School, today: dt.date) -> list[GroupLicenceRow]:
    licences = list(current_licences(school, LicenceKind.PER_GROUP, today))
    groups = list(Group.objects.filter(school=school, active=True).order_by("jaargroep", "name"))
    by_id = {g.pk: g for g in groups}
    linked: dict[int, set[int]] = defaultdict(set)
    for licence_id, group_id in GroupLink.objects.filter(licence__in=licences).values_list("licence_id", "group_id"):
        linked[licence_id].add(group_id)
    rows = []
    for licence in licences:
        ids = linked[licence.pk]
        unlinked = [g for g in groups if g.pk not in ids]
        rows.append(
            GroupLicenceRow(
                licence=licence,
                linked=[by_id[i] for i in sorted(ids, key=lambda i: (by_id[i].jaargroep, by_id[i].name)) if i in by_id],
                unlinked=unlinked,
                unlinked_levels=sorted({g.jaargroep for g in unlinked if g.jaargroep}, key=_level_key),
            )
        )
    return rows


@dataclass
class PupilLicenceRow:
    licence: Licence
    used: int
    seats: list[Seat]

    @property
    def available(self) -> int:
        return max(self.licence.seats - self.used, 0)

    @property
    def percent_used(self) -> int:
        return round(100 * self.used / self.licence.seats) if self.licence.seats else 100


def pupil_licence_rows(school: School, today: dt.date) -> list[PupilLicenceRow]:
    licences = list(current_licences(school, LicenceKind.PER_PUPIL, today))
    seats: dict[int, list[Seat]] = defaultdict(list)
    for seat in (
        Seat.objects.filter(licence__in=licences)
        .select_related("pupil__group")
        .order_by("pupil__last_name", "pupil__first_name")
    ):
        seats[seat.licence_id].append(seat)
    return [PupilLicenceRow(licence=lic, used=len(seats[lic.pk]), seats=seats[lic.pk]) for lic in licences]


def warnings(school: School, today: dt.date) -> list[str]:
    """What a coordinator should act on before teachers notice: full per-pupil licences, and
    groups of a year level a product is meant for that have no licence for it linked."""
    messages = []
    full = (
        current_licences(school, LicenceKind.PER_PUPIL, today)
        .annotate(used=Count("seats_taken"))
        .filter(used__gte=F("seats"))
    )
    for licence in full:
        messages.append(
            _("%(product)s: alle %(seats)s licenties per kind zijn in gebruik.")
            % {"product": licence.product.name, "seats": licence.seats}
        )
    group_licences = list(current_licences(school, LicenceKind.PER_GROUP, today))
    covered: dict[int, set[int]] = defaultdict(set)  # product id -> group ids
    for product_id, group_id in GroupLink.objects.filter(licence__in=group_licences).values_list(
        "licence__product_id", "group_id"
    ):
        covered[product_id].add(group_id)
    levels_by_group = _levels_by_group(school)
    groups = {g.pk: g for g in Group.objects.filter(school=school, active=True, is_subgroup=False)}
    seen_products = set()
    for licence in group_licences:
        product = licence.product
        if product.pk in seen_products:
            continue
        seen_products.add(product.pk)
        missing = [
            g.name
            for pk, g in sorted(groups.items(), key=lambda item: (item[1].jaargroep, item[1].name))
            if pk not in covered[product.pk] and levels_by_group.get(pk, set()) & set(product.year_levels)
        ]
        if missing:
            messages.append(
                _("%(product)s is bedoeld voor jaargroep %(levels)s, maar niet gekoppeld aan: %(groups)s.")
                % {
                    "product": product.name,
                    "levels": ", ".join(sorted(product.year_levels, key=_level_key)),
                    "groups": ", ".join(missing),
                }
            )
    return messages


def _levels_by_group(school: School) -> dict[int, set[str]]:
    """Year levels in each group, from its own level or (for combination groups) its pupils'."""
    levels: dict[int, set[str]] = defaultdict(set)
    for group_id, level in (
        Pupil.objects.filter(school=school, active=True, group__isnull=False)
        .values_list("group_id", "jaargroep")
        .distinct()
    ):
        if level:
            levels[group_id].add(level)
    for group_id, level in (
        Group.objects.filter(school=school, active=True).exclude(jaargroep="").values_list("id", "jaargroep")
    ):
        levels[group_id].add(level)
    return levels


def _level_key(level: str) -> tuple[int, str]:
    return (int(level), "") if level.isdigit() else (99, level)
