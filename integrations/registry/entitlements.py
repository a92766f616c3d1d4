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
from collections.abc import Callable
from dataclasses import dataclass

import orjson
from django.conf import settings
from django.db.models import Q
from django.utils import timezone, translation

from integrations.registry import protocol
from licenses.models import GroupLink, Licence, LicenceKind, ProductType, Seat
from roster.eckid import reveal as reveal_eckid
from roster.models import Appointment, Pupil, School, Staff
from roster.school_year import school_year_of


@dataclass(frozen=True)
class Entitlement:
    """One set as we want it: compared by ``digest`` and ``content_hash``; its body is built only when sent.

    An unchanged night compares every set in the country and sends none, so nothing here opens a
    sealed ECK iD until a body is asked for: the hashes use the ECK iDs' keyed fingerprints.
    """

    productcode: str
    details: dict  # the PUT body without its versie and gebruikers
    members: dict[int, tuple[str, str]]  # {Basispoort id: (ECK iD fingerprint, rol)}
    digest: str  # the protocol's sha256 over the user ids
    content_hash: str  # over the details and every user's fingerprint and rol: any change of the body
    eckid_of: Callable[[int], str | None]  # the opened ECK iD of a user, for the body only

    @property
    def users(self) -> int:
        return len(self.members)

    @functools.cached_property
    def body(self) -> dict:
        """The PUT body without its versie."""
        # The registry's eckid field is one of the two places the sealed ECK iD is opened.
        users = [
            {"id": bp_id, "eckid": self.eckid_of(bp_id), "rol": rol} for bp_id, (_, rol) in sorted(self.members.items())
        ]
        return {**self.details, "gebruikers": users}


def content_hash(details: dict, members: list[tuple[int, tuple[str, str]]]) -> str:
    """Over the details and every (Basispoort id, (fingerprint, rol)) of ``members``, sorted by id."""
    return hashlib.sha256(orjson.dumps([details, members], option=orjson.OPT_SORT_KEYS)).hexdigest()


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
    # The linked groups stay in the database, as subqueries: a chunk links thousands of groups, and
    # thousands of ids in each statement cost more to write out and parse than the rows they fetch.
    # Every row is also picked by its own school column, so PostgreSQL reads this chunk's schools
    # through their indexes instead of scanning the country's rows once per chunk.
    held = Q(school_id__in=live, licence__school_id__in=live, licence__school_year=year)
    links = GroupLink.objects.filter(held, licence__kind=LicenceKind.PER_GROUP, group__active=True)
    seats = Seat.objects.filter(held, licence__kind=LicenceKind.PER_PUPIL, pupil__active=True)
    linked = links.values("group_id")

    groups_of_licence: dict[int, list[int]] = defaultdict(list)
    for licence_id, group_id in links.values_list("licence_id", "group_id"):
        groups_of_licence[licence_id].append(group_id)

    # The sealed ECK iDs are not read here: only a body that is sent needs them (see eckid_of).
    seat_rows = list(
        seats.values_list("licence_id", "pupil__basispoort_id", "pupil__eckid_fingerprint", "pupil__group_id")
    )
    pupils_of_group: dict[int, list[tuple[int, str]]] = defaultdict(list)
    if groups_of_licence:
        in_groups = (
            Pupil.objects.filter(school_id__in=live, active=True, group_id__in=linked)
            .values_list("group_id", "basispoort_id", "eckid_fingerprint")
            .order_by()
        )
        in_subgroups = Pupil.subgroups.through.objects.filter(
            group_id__in=linked, pupil__school_id__in=live, pupil__active=True
        ).values_list("group_id", "pupil__basispoort_id", "pupil__eckid_fingerprint")
        for rows in (in_groups, in_subgroups):
            for group_id, bp_id, fingerprint in rows:
                pupils_of_group[group_id].append((bp_id, fingerprint))

    teachers_of_group: dict[int, list[tuple[int, str]]] = defaultdict(list)
    if groups_of_licence or seat_rows:
        current = Q(appointment__end_date__isnull=True) | Q(appointment__end_date__gte=today)
        taught = Q(group_id__in=linked) | Q(group_id__in=seats.values("pupil__group_id"))
        for group_id, bp_id, fingerprint in (
            Appointment.groups.through.objects.filter(
                current, taught, appointment__school_id__in=live, appointment__active=True
            )
            .values_list("group_id", "appointment__staff__basispoort_id", "appointment__staff__eckid_fingerprint")
            .order_by()
        ):
            teachers_of_group[group_id].append((bp_id, fingerprint))

    seats_of_licence: dict[int, list[tuple[int, str, int | None]]] = defaultdict(list)
    for licence_id, bp_id, fingerprint, group_id in seat_rows:
        seats_of_licence[licence_id].append((bp_id, fingerprint, group_id))

    @functools.cache
    def sealed_of() -> dict[int, str]:
        """The sealed ECK iDs of these schools' people, read once, when the first body is built."""
        staff = Staff.objects.filter(appointments__school_id__in=live).exclude(eckid_encrypted="")
        pupils = Pupil.objects.filter(school_id__in=live).exclude(eckid_encrypted="")
        found = dict(staff.values_list("basispoort_id", "eckid_encrypted").order_by())
        found.update(pupils.values_list("basispoort_id", "eckid_encrypted").order_by())
        return found

    @functools.cache  # each ECK iD is opened once, however many sets it is in
    def eckid_of(bp_id: int) -> str | None:
        sealed = sealed_of().get(bp_id)
        return (reveal_eckid(sealed) or None) if sealed else None

    by_product: dict[tuple[int, str], list] = defaultdict(list)
    for licence in licences:
        by_product[(licence.school_id, licence.product__code)].append(licence)
    with translation.override("nl"):
        # Worked out once per chunk, not once per set: every licence here is of this school year.
        ends_on = Licence(school_year=year).ends_on.isoformat()
        product_types = {value: str(label) for value, label in ProductType.choices}
    for (school_id, code), held in by_product.items():
        members: dict[int, tuple[str, str]] = {}
        for licence in held:
            for group_id in groups_of_licence.get(licence.pk, ()):
                for bp_id, fingerprint in pupils_of_group.get(group_id, ()):
                    members.setdefault(bp_id, (fingerprint, "leerling"))
                for bp_id, fingerprint in teachers_of_group.get(group_id, ()):
                    members.setdefault(bp_id, (fingerprint, "leerkracht"))
            for bp_id, fingerprint, group_id in seats_of_licence.get(licence.pk, ()):
                members.setdefault(bp_id, (fingerprint, "leerling"))
                for t_id, t_fingerprint in teachers_of_group.get(group_id, ()):
                    members.setdefault(t_id, (t_fingerprint, "leerkracht"))
        product = held[0]
        details = {
            "schooljaar": year,
            "geldigTot": ends_on,
            "product": {
                "naam": product.product__name,
                "methode": product.product__method__name,
                "productsoort": product_types[product.product__product_type],
                "url": product_url(school_id, product.product__method_id),
            },
        }
        ids = sorted(members)  # one sort for both hashes
        result[school_id][code] = Entitlement(
            productcode=code,
            details=details,
            members=members,
            digest=protocol.digest_of_sorted(ids),
            content_hash=content_hash(details, [(bp_id, members[bp_id]) for bp_id in ids]),
            eckid_of=eckid_of,
        )
    return result
