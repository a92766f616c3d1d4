"""The demo catalogue and each demo school's licences, some of them already linked.

Idempotent: every row is looked up by its natural key before it is made.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from licenses.models import GroupLink, Licence, LicenceKind, Method, Product, ProductType, Seat
from roster.models import Group, Pupil, School
from roster.school_year import school_year_of

ALL_LEVELS = [str(n) for n in range(1, 9)]
CATALOGUE = [
    # method code, name, subject, [(product code, name, type, year levels)]
    (
        "rekenroute",
        "Rekenroute",
        "Rekenen-wiskunde",
        [
            ("rekenroute-digi", "Rekenroute Basis digitaal", ProductType.BASIS_DIGITAAL, ALL_LEVELS[2:]),
            ("rekenroute-papier", "Rekenroute Basis papier", ProductType.BASIS_PAPIER, ALL_LEVELS[2:]),
            ("rekenroute-plus", "Rekenroute Plus oefensoftware", ProductType.OEFENSOFTWARE, ALL_LEVELS[3:]),
            ("rekenroute-toets", "Rekenroute Toetsen", ProductType.TOETSEN, ALL_LEVELS[2:]),
        ],
    ),
    (
        "taalkompas",
        "Taalkompas",
        "Taal en spelling",
        [
            ("taalkompas-digi", "Taalkompas Basis digitaal", ProductType.BASIS_DIGITAAL, ALL_LEVELS[3:]),
            ("taalkompas-oefen", "Taalkompas Oefensoftware", ProductType.OEFENSOFTWARE, ALL_LEVELS[3:]),
        ],
    ),
    (
        "leeslicht",
        "Leeslicht",
        "Begrijpend lezen",
        [
            ("leeslicht-digi", "Leeslicht Basis digitaal", ProductType.BASIS_DIGITAAL, ALL_LEVELS[3:]),
            ("leeslicht-remedial", "Leeslicht Extra oefenen", ProductType.OEFENSOFTWARE, ALL_LEVELS[2:6]),
        ],
    ),
    (
        "wereldwijs",
        "Wereldwijs",
        "Wereldoriëntatie",
        [
            ("wereldwijs-digi", "Wereldwijs Basis digitaal", ProductType.BASIS_DIGITAAL, ALL_LEVELS[4:]),
        ],
    ),
    (
        "kleutertuin",
        "Kleutertuin",
        "Kleuteronderwijs",
        [
            ("kleutertuin-digi", "Kleutertuin Basis digitaal", ProductType.BASIS_DIGITAAL, ALL_LEVELS[:2]),
        ],
    ),
]
GROUP_PRODUCTS = [
    "rekenroute-digi",
    "rekenroute-papier",
    "taalkompas-digi",
    "leeslicht-digi",
    "wereldwijs-digi",
    "kleutertuin-digi",
    "rekenroute-toets",
]
PUPIL_PRODUCTS = [("rekenroute-plus", 20, 8), ("leeslicht-remedial", 12, 5), ("taalkompas-oefen", 30, 0)]


@transaction.atomic
def ensure_catalogue() -> dict[str, Product]:
    products: dict[str, Product] = {}
    for method_code, method_name, subject, items in CATALOGUE:
        method, _ = Method.objects.get_or_create(code=method_code, defaults={"name": method_name, "subject": subject})
        for code, name, product_type, levels in items:
            product, _ = Product.objects.get_or_create(
                code=code,
                defaults={"method": method, "name": name, "product_type": product_type, "year_levels": levels},
            )
            products[code] = product
    return products


@transaction.atomic
def ensure_licences(school: School, products: dict[str, Product], today: dt.date) -> None:
    """Group licences for every method, per-pupil licences for extra software; about half linked."""
    year = school_year_of(today)
    groups = list(Group.objects.filter(school=school, active=True, is_subgroup=False).order_by("las_key"))
    for n, code in enumerate(GROUP_PRODUCTS):
        product = products[code]
        licence, created = Licence.objects.get_or_create(
            school=school,
            product=product,
            school_year=year,
            kind=LicenceKind.PER_GROUP,
            defaults={"order_reference": f"ORD-{school.basispoort_id}-{n:02d}"},
        )
        if not created or n % 2:
            continue  # odd licences stay unlinked, so the demo shows work still to do
        fitting = [g for g in groups if _fits(g, product)]
        GroupLink.objects.bulk_create(
            [GroupLink(licence=licence, group=g, school=school) for g in fitting[: max(1, len(fitting) - 1)]]
        )
    for n, (code, seats, taken) in enumerate(PUPIL_PRODUCTS):
        product = products[code]
        licence, created = Licence.objects.get_or_create(
            school=school,
            product=product,
            school_year=year,
            kind=LicenceKind.PER_PUPIL,
            defaults={"seats": seats, "order_reference": f"ORD-{school.basispoort_id}-K{n:02d}"},
        )
        if created and taken:
            pupils = Pupil.objects.filter(school=school, active=True, jaargroep__in=product.year_levels).order_by(
                "basispoort_id"
            )[:taken]
            Seat.objects.bulk_create([Seat(licence=licence, pupil=p, school=school) for p in pupils])


def _fits(group: Group, product: Product) -> bool:
    # Combination groups carry no year level of their own; their name says which they hold.
    levels = {group.jaargroep} if group.jaargroep else set(group.name.replace("Groep", "").strip(" ab").split("/"))
    return bool(levels & set(product.year_levels))


# Seats bought for the coming school year; fewer than this year's holders for Rekenroute Plus,
# so "Nieuw schooljaar" shows pupils with "geen plaats meer".
NEXT_YEAR_SEATS = {"rekenroute-plus": 6, "leeslicht-remedial": 12, "taalkompas-oefen": 30}


@transaction.atomic
def ensure_next_year_licences(school: School, products: dict[str, Product], school_year: str) -> None:
    """The licences the school already bought for the coming school year, none linked yet."""
    for n, code in enumerate(GROUP_PRODUCTS):
        Licence.objects.get_or_create(
            school=school,
            product=products[code],
            school_year=school_year,
            kind=LicenceKind.PER_GROUP,
            defaults={"order_reference": f"ORD-{school.basispoort_id}-{n:02d}-{school_year[:4]}"},
        )
    for n, (code, _seats, _taken) in enumerate(PUPIL_PRODUCTS):
        Licence.objects.get_or_create(
            school=school,
            product=products[code],
            school_year=school_year,
            kind=LicenceKind.PER_PUPIL,
            defaults={
                "seats": NEXT_YEAR_SEATS[code],
                "order_reference": f"ORD-{school.basispoort_id}-K{n:02d}-{school_year[:4]}",
            },
        )
