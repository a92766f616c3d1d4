"""The licence pages use the same number of queries for a small school and the largest one."""

from __future__ import annotations

import pytest
from django.urls import reverse

from licenses import actions
from licenses.models import GroupLink, LicenceKind, Seat
from roster.models import Role
from tests.factories import appoint, login_as, make_licence, make_product, make_school_in_bulk, make_staff

pytestmark = pytest.mark.django_db


def build_school(name: str, groups: int, pupils: int, licences: int, seats_taken: int):
    school, group_objs, pupil_objs = make_school_in_bulk(name, groups, pupils)
    per_pupil = []
    for n in range(licences):
        product = make_product(f"{name}-p{n}", year_levels=[str(1 + n % 8)])
        if n % 2:
            per_pupil.append(make_licence(school, product, LicenceKind.PER_PUPIL, seats=seats_taken))
        else:
            licence = make_licence(school, product)
            GroupLink.objects.bulk_create([GroupLink(licence=licence, group=g, school=school) for g in group_objs[:5]])
    per_seat = max(1, seats_taken // max(1, len(per_pupil)))
    Seat.objects.bulk_create(
        [
            Seat(licence=lic, pupil=p, school=school)
            for k, lic in enumerate(per_pupil)
            for p in pupil_objs[k * per_seat : (k + 1) * per_seat]
        ]
    )
    coordinator = make_staff("Co", name)
    appoint(coordinator, school, Role.ICT_COORDINATOR)
    return school, coordinator


PAGES = ["licences_per_group", "licences_per_pupil", "audit_log"]


@pytest.mark.parametrize("page", PAGES)
def test_same_query_bound_for_small_and_largest_school(page, client, django_assert_max_num_queries):
    small, small_coordinator = build_school("klein", groups=3, pupils=50, licences=4, seats_taken=10)
    large, large_coordinator = build_school("groot", groups=50, pupils=1200, licences=60, seats_taken=800)
    bound = 15
    login_as(client, small_coordinator)
    with django_assert_max_num_queries(bound) as small_queries:
        assert client.get(reverse(page, args=[small.pk])).status_code == 200
    login_as(client, large_coordinator)
    with django_assert_max_num_queries(bound) as large_queries:
        assert client.get(reverse(page, args=[large.pk])).status_code == 200
    assert len(large_queries.captured_queries) == len(small_queries.captured_queries)


@pytest.mark.parametrize("page", ["licences_per_group", "licences_per_pupil"])
def test_cached_cards_need_the_same_few_queries_for_any_school(page, client, django_assert_max_num_queries):
    """A second visit takes the cards from the cache: the session, the account, the access check
    and the school's stamp."""
    counts = []
    for school, coordinator in (
        build_school("klein", groups=3, pupils=50, licences=4, seats_taken=10),
        build_school("groot", groups=50, pupils=1200, licences=60, seats_taken=800),
    ):
        login_as(client, coordinator)
        url = reverse(page, args=[school.pk])
        assert client.get(url).status_code == 200
        with django_assert_max_num_queries(4) as warm:
            assert client.get(url).status_code == 200
        counts.append(len(warm.captured_queries))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("page", ["licences_per_group", "licences_per_pupil"])
def test_a_first_visit_after_a_change_reads_only_the_touched_card(page, client, django_assert_max_num_queries):
    """A coordinator's change replaces only its licence's token: the next visit reads that card's
    links or seats (one query) on top of a cached page's four, not the page's licences, groups,
    year levels or seat counts again, whatever the school's size."""
    counts = []
    for school, coordinator in (
        build_school("klein", groups=3, pupils=50, licences=4, seats_taken=10),
        build_school("groot", groups=50, pupils=1200, licences=60, seats_taken=800),
    ):
        login_as(client, coordinator)
        url = reverse(page, args=[school.pk])
        assert client.get(url).status_code == 200
        kind = LicenceKind.PER_GROUP if page == "licences_per_group" else LicenceKind.PER_PUPIL
        licence = school.licences.filter(kind=kind).order_by("pk").first()
        if kind == LicenceKind.PER_GROUP:
            group_id = GroupLink.objects.filter(licence=licence).values_list("group_id", flat=True).first()
            actions.unlink_group(school=school, licence_id=licence.pk, group_id=group_id, actor=None)
        else:
            pupil = school.pupils.exclude(seats__licence=licence).first()
            actions.assign_seat(school=school, licence_id=licence.pk, pupil_id=pupil.pk, actor=None)
        with django_assert_max_num_queries(5) as touched:
            assert client.get(url).status_code == 200
        counts.append(len(touched.captured_queries))
    assert counts[0] == counts[1]
