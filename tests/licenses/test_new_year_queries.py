""" "Nieuw schooljaar" uses the same number of queries for a small school and a large one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from licenses import actions
from licenses.models import GroupLink, LicenceKind, Seat
from licenses.year_levels import remember_year_levels
from roster.models import Group, Pupil, Role
from roster.school_year import next_school_year, school_year_of
from tests.factories import appoint, login_as, make_licence, make_product, make_school, make_staff

pytestmark = pytest.mark.django_db


def build(name: str, groups: int, pupils: int, products: int):
    school = make_school(name, "12AB")
    source = school_year_of(timezone.localdate())
    target = next_school_year(source)
    group_objs = Group.objects.bulk_create(
        [
            Group(school=school, las_key=f"{name}-{i}", name=f"Groep {1 + i % 8}{i}", jaargroep=str(1 + i % 8))
            for i in range(groups)
        ]
    )
    pupil_objs = Pupil.objects.bulk_create(
        [
            Pupil(
                school=school,
                basispoort_id=i,
                first_name=f"K{i}",
                last_name="Smit",
                group=group_objs[i % groups],
                jaargroep=group_objs[i % groups].jaargroep,
            )
            for i in range(pupils)
        ]
    )
    for n in range(products):
        product = make_product(f"{name}-p{n}", year_levels=[str(1 + n % 8), str(2 + n % 7)])
        if n % 2:
            old = make_licence(school, product, LicenceKind.PER_PUPIL, seats=pupils, school_year=source)
            Seat.objects.bulk_create([Seat(licence=old, pupil=p, school=school) for p in pupil_objs[n::products]])
            make_licence(school, product, LicenceKind.PER_PUPIL, seats=pupils // 4, school_year=target)
        else:
            old = make_licence(school, product, school_year=source)
            GroupLink.objects.bulk_create([GroupLink(licence=old, group=g, school=school) for g in group_objs[n::3]])
            make_licence(school, product, school_year=target)
    school.mutation_timestamp = timezone.now() - dt.timedelta(days=1)
    school.save()
    remember_year_levels([school.pk])
    school.mutation_timestamp = dt.datetime(int(target[:4]), 8, 20, tzinfo=dt.UTC)
    school.save()
    coordinator = make_staff("Co", name)
    appoint(coordinator, school, Role.ICT_COORDINATOR)
    return school, coordinator


def queries_for(client, school, coordinator) -> tuple[int, str]:
    """Queries of the first visit (the page built) plus those of the second (its cards cached)."""
    login_as(client, coordinator)
    url = f"/school/{school.pk}/beheer/licenties/nieuw-schooljaar/"
    counts = []
    for _visit in range(2):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(len(captured))
    assert counts[1] < counts[0]
    return sum(counts), response.content.decode()


def test_query_count_does_not_grow_with_the_school(client):
    small = build("klein", groups=4, pupils=40, products=4)
    large = build("groot", groups=40, pupils=800, products=30)
    small_count, small_html = queries_for(client, *small)
    large_count, large_html = queries_for(client, *large)
    assert small_html.count('name="voorstel"') < large_html.count('name="voorstel"')
    assert large_html.count('name="voorstel"') > 200
    assert small_count == large_count
    assert large_count <= 26


def test_beheer_home_notice_adds_a_fixed_number_of_queries(client):
    small = build("klein", groups=4, pupils=40, products=4)
    large = build("groot", groups=40, pupils=800, products=30)
    counts = []
    for school, coordinator in (small, large):
        login_as(client, coordinator)
        client.get(f"/school/{school.pk}/beheer/")
        with CaptureQueriesContext(connection) as captured:
            html = client.get(f"/school/{school.pk}/beheer/").content.decode()
        assert "voorbereiden" in html
        counts.append(len(captured))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("kind", [LicenceKind.PER_GROUP, LicenceKind.PER_PUPIL])
def test_a_first_visit_after_a_change_this_year_reads_only_the_card_of_its_product(client, kind):
    """The season, the target licences and the roster's year levels are kept under the school's
    tokens: after a link or a seat this year the page proposes again only that product's card,
    reading its links (or its seats) of both years in one query and its unticked proposals in a
    second, on top of a cached page's four."""
    counts = []
    for school, coordinator in (
        build("klein", groups=4, pupils=40, products=4),
        build("groot", groups=40, pupils=800, products=30),
    ):
        login_as(client, coordinator)
        url = f"/school/{school.pk}/beheer/licenties/nieuw-schooljaar/"
        assert client.get(url).status_code == 200
        source = school_year_of(timezone.localdate())
        licence = school.licences.filter(school_year=source, kind=kind).order_by("pk").first()
        if kind == LicenceKind.PER_GROUP:
            group = school.groups.exclude(licence_links__licence=licence).first()
            actions.link_groups(school=school, licence_id=licence.pk, group_ids=[group.pk], actor=None)
        else:
            pupil = school.pupils.exclude(seats__licence=licence).first()
            actions.assign_seat(school=school, licence_id=licence.pk, pupil_id=pupil.pk, actor=None)
        with CaptureQueriesContext(connection) as touched:
            assert client.get(url).status_code == 200
        counts.append(len(touched))
    assert counts[0] == counts[1] <= 6
