"""Our side of the licence registry: per school and product, who may use it.

A product is available at a school while the school holds a licence for it in the current
school year (an expired licence drops out by itself the night after 31 July). Its users are
the active pupils of the linked groups (as main group or subgroup) and the pupils holding a
seat, plus the teachers of those groups and of those pupils' groups. Computed for a chunk of
schools in a fixed number of queries, whatever the chunk's size.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections import defaultdict
from dataclasses import dataclass

import orjson
from django.conf import settings
from django.db.models import Q
from django.utils import timezone, translation

from integrations.registry import protocol
from licenses.models import GroupLink, Licence, LicenceKind, ProductType, Seat
from roster.eckid import reveal as reveal_eckid
from roster.models import Appointment, Pupil, School
from roster.school_year import school_year_of


@dataclass(frozen=True)
class Entitlement:
    productcode: str
    body: dict  # the PUT body without its versie
    digest: str  # the protocol's sha256 over the user ids
    content_hash: str  # over the whole body: a changed product name or end date is a change too

    @property
    def users(self) -> int:
        return len(self.body["gebruikers"])


def product_url(school_id: int, method_id: int) -> str:
    """Our start page, opened at the method: where a tile in the portal leads."""
    return f"{settings.BINGEL_PUBLIC_URL.rstrip('/')}/school/{school_id}/#methode-{method_id}"


def for_schools(school_ids: list[int], today: dt.date | None = None) -> dict[int, dict[str, Entitlement]]:
    """{school id: {productcode: Entitlement}} for every given school (empty when nothing is available)."""
    today = today or timezone.localdate()
    year = school_year_of(today)
    result: dict[int, dict[str, Entitlement]] = {pk: {} for pk in school_ids}
    # A school that closed or withdrew its permission is no longer ours to speak for: nothing is available.
    live = list(School.objects.filter(pk__in=school_ids, active=True, sync_permitted=True).values_list("pk", flat=True))
    # Plain rows, not model instances: an unchanged night reads every licence in the country.
    licences = list(
        Licence.objects.filter(school_id__in=live, school_year=year)
        .order_by("school_id", "product__code", "pk")
        .values_list(
            "pk",
            "kind",
            "school_id",
            "product__code",
            "product__name",
            "product__product_type",
            "product__method_id",
            "product__method__name",
            named=True,
        )
    )
    if not licences:
        return result
    group_licences = [lic.pk for lic in licences if lic.kind == LicenceKind.PER_GROUP]
    pupil_licences = [lic.pk for lic in licences if lic.kind == LicenceKind.PER_PUPIL]

    groups_of_licence: dict[int, list[int]] = defaultdict(list)
    for licence_id, group_id in GroupLink.objects.filter(licence_id__in=group_licences, group__active=True).values_list(
        "licence_id", "group_id"
    ):
        groups_of_licence[licence_id].append(group_id)
    linked = {g for groups in groups_of_licence.values() for g in groups}

    seat_rows = list(
        Seat.objects.filter(licence_id__in=pupil_licences, pupil__active=True).values_list(
            "licence_id", "pupil__basispoort_id", "pupil__eckid_encrypted", "pupil__group_id"
        )
    )
    pupils_of_group: dict[int, list[tuple[int, str]]] = defaultdict(list)
    if linked:
        for group_id, bp_id, eckid in Pupil.objects.filter(active=True, group_id__in=linked).values_list(
            "group_id", "basispoort_id", "eckid_encrypted"
        ):
            pupils_of_group[group_id].append((bp_id, eckid))
        for group_id, bp_id, eckid in Pupil.subgroups.through.objects.filter(
            group_id__in=linked, pupil__active=True
        ).values_list("group_id", "pupil__basispoort_id", "pupil__eckid_encrypted"):
            pupils_of_group[group_id].append((bp_id, eckid))

    teacher_groups = linked | {row[3] for row in seat_rows if row[3] is not None}
    teachers_of_group: dict[int, list[tuple[int, str]]] = defaultdict(list)
    if teacher_groups:
        current = Q(appointment__end_date__isnull=True) | Q(appointment__end_date__gte=today)
        for group_id, bp_id, eckid in (
            Appointment.groups.through.objects.filter(current, group_id__in=teacher_groups, appointment__active=True)
            .values_list("group_id", "appointment__staff__basispoort_id", "appointment__staff__eckid_encrypted")
            .order_by()
        ):
            teachers_of_group[group_id].append((bp_id, eckid))

    seats_of_licence: dict[int, list[tuple[int, str, int | None]]] = defaultdict(list)
    for licence_id, bp_id, eckid, group_id in seat_rows:
        seats_of_licence[licence_id].append((bp_id, eckid, group_id))

    # Each sealed ECK iD is opened once, however many sets it is in.
    opened = functools.cache(reveal_eckid)

    by_product: dict[tuple[int, str], list] = defaultdict(list)
    for licence in licences:
        by_product[(licence.school_id, licence.product__code)].append(licence)
    with translation.override("nl"):
        # Worked out once per chunk, not once per set: every licence here is of this school year.
        ends_on = Licence(school_year=year).ends_on.isoformat()
        product_types = {value: str(label) for value, label in ProductType.choices}
        for (school_id, code), held in by_product.items():
            users: dict[int, tuple[str, str]] = {}
            for licence in held:
                for group_id in groups_of_licence.get(licence.pk, ()):
                    for bp_id, eckid in pupils_of_group.get(group_id, ()):
                        users.setdefault(bp_id, (eckid, "leerling"))
                    for bp_id, eckid in teachers_of_group.get(group_id, ()):
                        users.setdefault(bp_id, (eckid, "leerkracht"))
                for bp_id, eckid, group_id in seats_of_licence.get(licence.pk, ()):
                    users.setdefault(bp_id, (eckid, "leerling"))
                    for t_id, t_eckid in teachers_of_group.get(group_id, ()):
                        users.setdefault(t_id, (t_eckid, "leerkracht"))
            product = held[0]
            body = {
                "schooljaar": year,
                "geldigTot": ends_on,
                "product": {
                    "naam": product.product__name,
                    "methode": product.product__method__name,
                    "productsoort": product_types[product.product__product_type],
                    "url": product_url(school_id, product.product__method_id),
                },
                # The registry's eckid field is one of the two places the sealed ECK iD is opened.
                "gebruikers": [
                    {"id": bp_id, "eckid": opened(sealed) or None, "rol": rol}
                    for bp_id, (sealed, rol) in sorted(users.items())
                ],
            }
            result[school_id][code] = Entitlement(
                productcode=code,
                body=body,
                digest=protocol.digest(users),
                content_hash=hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest(),
            )
    return result
