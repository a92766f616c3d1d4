"""Beheer home shows "Nieuw schooljaar … voorbereiden" from next year's licences until the autumn."""

from __future__ import annotations

import datetime as dt

import pytest

from licenses.models import GroupLink, Licence, LicenceKind, Seat
from licenses.new_year import season
from licenses.new_year_notice import notice
from roster.school_year import next_school_year, school_year_of
from tests.factories import login_as, make_licence, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def licences_2027(world):
    product = make_product("reken-digi", year_levels=("5",))
    plus = make_product("reken-plus", product_type="oefensoftware", year_levels=("5",))
    group = world.school_a.groups.get(name="Groep 5")
    this_year = make_licence(world.school_a, product, school_year="2026-2027")
    GroupLink.objects.create(licence=this_year, group=group, school=world.school_a)
    linked = make_licence(world.school_a, product, school_year="2027-2028")
    GroupLink.objects.create(licence=linked, group=group, school=world.school_a)
    make_licence(world.school_a, make_product("taal-digi", year_levels=("5",)), school_year="2027-2028")
    seats = make_licence(world.school_a, plus, LicenceKind.PER_PUPIL, seats=10, school_year="2027-2028")
    Seat.objects.create(licence=seats, pupil=world.school_a.pupils.first(), school=world.school_a)
    return world


@pytest.mark.parametrize(
    ("today", "target"),
    [
        (dt.date(2027, 3, 1), "2027-2028"),  # spring: licences for the coming year exist
        (dt.date(2027, 7, 31), "2027-2028"),  # the last day of the old year
        (dt.date(2027, 8, 1), "2027-2028"),  # the first day of the new year
        (dt.date(2027, 10, 31), "2027-2028"),  # the end of the autumn
        (dt.date(2027, 11, 1), None),  # after the autumn: no notice any more
        (dt.date(2025, 7, 1), None),  # two years ahead is not "the coming year"
    ],
)
def test_the_window(licences_2027, today, target):
    found = season(licences_2027.school_a, today)
    assert (found.target if found else None) == target


def test_the_notice_counts_what_is_still_unlinked(licences_2027):
    found = notice(licences_2027.school_a, dt.date(2027, 5, 1))
    assert (found.school_year, found.group_licences, found.group_licences_unlinked) == ("2027-2028", 2, 1)
    assert (found.seats, found.seats_free) == (10, 9)
    assert notice(licences_2027.school_b, dt.date(2027, 5, 1)) is None


def test_beheer_home_shows_it_with_a_link_to_the_page(licences_2027, client):

    # Today's coming year, whatever today is.
    Licence.objects.filter(school_year="2027-2028").update(
        school_year=next_school_year(school_year_of(dt.date.today()))
    )
    login_as(client, licences_2027.coordinator_a)
    html = client.get(f"/school/{licences_2027.school_a.pk}/beheer/").content.decode()
    year = next_school_year(school_year_of(dt.date.today()))
    assert f"Nieuw schooljaar {year} voorbereiden" in html
    assert "1 van 2 licenties per groep zijn nog niet gekoppeld." in html
    assert "9 van 10 licenties per kind zijn nog vrij." in html
    assert f"/school/{licences_2027.school_a.pk}/beheer/licenties/nieuw-schooljaar/" in html
    other = client.get(f"/school/{licences_2027.school_b.pk}/beheer/")
    assert other.status_code in (200, 404)
    assert "voorbereiden" not in other.content.decode()


def test_in_english(licences_2027, client):

    year = next_school_year(school_year_of(dt.date.today()))
    Licence.objects.filter(school_year="2027-2028").update(school_year=year)
    login_as(client, licences_2027.coordinator_a)
    html = client.get(f"/school/{licences_2027.school_a.pk}/beheer/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"Prepare the new school year {year}" in html
    assert "1 of 2 group licences are not linked yet." in html
