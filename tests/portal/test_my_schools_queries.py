""" "Mijn scholen" and "Kies je school" ask the database the same number of questions for a
coordinator of two schools as for one of six larger ones."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from licenses.models import GroupLink, LicenceKind, Seat
from roster.models import Role
from tests.factories import (
    appoint,
    login_as,
    make_group,
    make_licence,
    make_product,
    make_pupil,
    make_school,
    make_staff,
)
from tests.lvs_helpers import make_result_link

pytestmark = pytest.mark.django_db


def _coordinator_of(count: int, groups: int):
    products = [make_product(f"p{count}-{n}", year_levels=("4", "5")) for n in range(2)]
    anouk = make_staff("Anouk", "Smit")
    for n in range(count):
        school = make_school(f"School {n}", f"{n:02d}QQ")
        appoint(anouk, school, Role.ICT_COORDINATOR)
        made = [make_group(school, f"Groep {4 + g % 2}{g}", str(4 + g % 2)) for g in range(groups)]
        pupils = [make_pupil(school, group, last_name=f"Kind {g}") for g, group in enumerate(made)]
        licence = make_licence(school, products[0])
        GroupLink.objects.create(licence=licence, group=made[0], school=school)
        seats = make_licence(school, products[1], LicenceKind.PER_PUPIL, seats=groups)
        Seat.objects.bulk_create([Seat(licence=seats, pupil=p, school=school) for p in pupils])
        make_result_link(school)
    return anouk


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url_name", ["my_schools", "choose_school"])
def test_the_query_count_does_not_grow_with_schools_or_their_size(client, url_name, settings):
    settings.LICENCE_REGISTRY_URL = "https://registry.invalid/"
    login_as(client, _coordinator_of(2, groups=1))
    small = _queries(client, reverse(url_name))
    login_as(client, _coordinator_of(6, groups=5))
    assert _queries(client, reverse(url_name)) == small
    assert small <= 16


def test_the_page_in_numbers(client, django_assert_num_queries):
    login_as(client, _coordinator_of(6, groups=3))
    # The first visit: session, user, the coordinator's schools, the schools' page stamps, the
    # stamps of everything else on their cards (portal/cards.py); then, to build the cards:
    # licences, their products, the page stamps again and the pupils' year levels per group (kept
    # under them), groups, links, nights, open held nights, result links; no registry configured
    # in tests.
    with django_assert_num_queries(14):
        client.get(reverse("my_schools"))
    # Every card kept: only the stamps (tests/portal/test_my_schools_cards_kept.py).
    with django_assert_num_queries(5):
        client.get(reverse("my_schools"))
