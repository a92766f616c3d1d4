"""No page of Beheer or the start page asks more of the database for a bigger school.

The same pages are rendered for a school of 50 pupils and one of 1,200 pupils in 50 groups,
each with licences, links and seats, under one and the same query bound.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from licenses.models import GroupLink, LicenceKind, ProductType, Seat
from roster.models import Appointment, AppointmentRole, Group, Pupil, Role
from tests.factories import (
    appoint,
    login_as,
    make_licence,
    make_product,
    make_school_in_bulk,
    make_staff,
)
from tests.school_urls import MAX_QUERIES


def build_school(name: str, groups: int, pupils: int, products) -> dict:
    school, group_rows, pupil_rows = make_school_in_bulk(name, groups, pupils)
    subgroup = Group.objects.create(school=school, las_key="PLUS", name="Plusklas", is_subgroup=True)
    subgroup.subgroup_pupils.set(pupil_rows[::10])
    teachers = []
    for n, group in enumerate(group_rows):
        staff = make_staff(f"Leerkracht{n}", name)
        teachers.append(appoint(staff, school, Role.TEACHER, groups=[group, subgroup] if n == 0 else [group]))
    coordinator = make_staff("Coördinator", name)
    appoint(coordinator, school, Role.ICT_COORDINATOR, Role.TEACHER, groups=group_rows[:3])

    group_products, pupil_products = products
    for product in group_products:
        licence = make_licence(school, product)
        GroupLink.objects.bulk_create(
            [GroupLink(licence=licence, group=g, school=school) for g in group_rows[: groups // 2]]
        )
    make_licence(school, group_products[0], school_year="2020-2021")
    for product in pupil_products:
        licence = make_licence(school, product, LicenceKind.PER_PUPIL, seats=pupils)
        Seat.objects.bulk_create([Seat(licence=licence, pupil=p, school=school) for p in pupil_rows[::3]])
    return {"school": school, "coordinator": coordinator, "teacher": teachers[0].staff, "group": group_rows[0]}


@pytest.fixture
def schools(db) -> dict:
    products = (
        [make_product(f"groep-{n}", ProductType.BASIS_DIGITAAL) for n in range(4)],
        [make_product(f"kind-{n}", ProductType.OEFENSOFTWARE) for n in range(3)],
    )
    return {
        "small": build_school("Klein", groups=3, pupils=50, products=products),
        "large": build_school("Groot", groups=50, pupils=1200, products=products),
    }


def pages(school, group) -> list[tuple[str, dict]]:
    beheer = [
        ("beheer_home", {}),
        ("beheer_gegevens", {}),
        ("beheer_groepen", {}),
        ("beheer_groep", {"group_id": group.pk}),
        ("beheer_coordinatoren", {}),
        ("beheer_leerkrachten", {}),
        ("beheer_leerlingen", {}),
    ]
    return [(reverse(name, kwargs={"school_id": school.pk, **kwargs}), {}) for name, kwargs in beheer] + [
        (reverse("beheer_leerlingen", kwargs={"school_id": school.pk}), {"q": "kind1", "pagina": "2"}),
        (reverse("beheer_groep", kwargs={"school_id": school.pk, "group_id": group.pk}), {"HTTP_HX_REQUEST": "true"}),
    ]


@pytest.mark.parametrize("size", ["small", "large"])
def test_every_beheer_page_stays_under_one_bound(schools, client, size, django_assert_max_num_queries):
    made = schools[size]
    login_as(client, made["coordinator"])
    for url, extra in pages(made["school"], made["group"]):
        query = {k: v for k, v in extra.items() if not k.startswith("HTTP_")}
        headers = {k: v for k, v in extra.items() if k.startswith("HTTP_")}
        with django_assert_max_num_queries(MAX_QUERIES):
            response = client.get(url, query, **headers)
        assert response.status_code == 200, url


@pytest.mark.parametrize("size", ["small", "large"])
@pytest.mark.parametrize("who", ["teacher", "coordinator"])
def test_start_page_stays_under_the_same_bound(schools, client, size, who, django_assert_max_num_queries):
    made = schools[size]
    login_as(client, made[who])
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(reverse("school_start", kwargs={"school_id": made["school"].pk}))
    assert response.status_code == 200
    assert "leerlingen" in response.content.decode()


def test_the_large_school_really_is_large(schools):
    large = schools["large"]["school"]
    assert Pupil.objects.filter(school=large).count() == 1200
    assert Group.objects.filter(school=large, is_subgroup=False).count() == 50
    assert Appointment.objects.filter(school=large).count() == 51
    assert AppointmentRole.objects.filter(appointment__school=large).count() == 52
