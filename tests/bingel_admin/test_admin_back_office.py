"""The publisher's back office: every changelist loads with a bounded number of queries."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from licenses.models import GroupLink, LicenceKind, Seat
from tests.factories import back_office_login, make_group, make_licence, make_product, make_pupil, make_school

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    back_office_login(client)
    return client


def fill(n: int) -> None:
    product = make_product(code=f"p{n}")
    for i in range(n):
        school = make_school(f"School {n}-{i}", "12AB")
        group = make_group(school)
        pupil = make_pupil(school, group)
        GroupLink.objects.create(licence=make_licence(school, product), group=group, school=school)
        Seat.objects.create(
            licence=make_licence(school, product, LicenceKind.PER_PUPIL, seats=2), pupil=pupil, school=school
        )


def changelist_urls():
    return [
        reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist")
        for m in admin.site._registry
        if m._meta.app_label in {"audit", "roster", "licenses"}
    ]


def test_every_changelist_loads_with_bounded_queries(superuser_client, django_assert_max_num_queries):
    fill(3)
    small = {}
    for url in changelist_urls():
        with django_assert_max_num_queries(15) as ctx:
            response = superuser_client.get(url)
        assert response.status_code == 200, url
        small[url] = len(ctx.captured_queries)
    fill(30)
    for url in changelist_urls():
        with django_assert_max_num_queries(small[url]) as ctx:
            assert superuser_client.get(url).status_code == 200


def test_search_uses_exact_ids(superuser_client):
    school = make_school("De Regenboog", "12AB", basispoort_id=4242)
    url = reverse("admin:roster_school_changelist")
    assert school.name in superuser_client.get(url, {"q": "4242"}).content.decode()
    assert school.name in superuser_client.get(url, {"q": "De Regen"}).content.decode()


def test_roster_is_read_only_and_catalogue_editable(superuser_client):
    assert superuser_client.get(reverse("admin:roster_pupil_add")).status_code == 403
    assert superuser_client.get(reverse("admin:licenses_product_add")).status_code == 200
    assert superuser_client.get(reverse("admin:licenses_licence_add")).status_code == 200


def test_school_search_by_brin_and_location_code(superuser_client):
    make_school("De Regenboog", "12AB", dependancecode="00")
    make_school("Het Kompas", "12AB", dependancecode="01")
    url = reverse("admin:roster_school_changelist")
    page = superuser_client.get(url, {"q": "12ab01"}).content.decode()
    assert "Het Kompas" in page and "De Regenboog" not in page
