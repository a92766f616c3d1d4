"""Teachers see next year's licences on their start page only from the first day of that school year."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from licenses.models import GroupLink
from roster.school_year import next_school_year, school_year_of
from tests.factories import login_as, make_licence, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def both_years(world):
    group = world.school_a.groups.get(name="Groep 5")
    this_year = school_year_of(timezone.localdate())
    coming = next_school_year(this_year)
    now = make_licence(world.school_a, make_product("nu-digi", year_levels=("5",)), school_year=this_year)
    later = make_licence(world.school_a, make_product("straks-digi", year_levels=("5",)), school_year=coming)
    for licence in (now, later):
        GroupLink.objects.create(licence=licence, group=group, school=world.school_a)
    return world, coming


def start_page(client, world) -> str:
    login_as(client, world.teacher_a)
    return client.get(f"/school/{world.school_a.pk}/").content.decode()


def test_before_the_new_year_only_this_years_licences(both_years, client):
    world, _coming = both_years
    html = start_page(client, world)
    assert "nu-digi" in html
    assert "straks-digi" not in html


def test_from_the_first_day_of_the_new_year(both_years, client, monkeypatch):
    world, coming = both_years
    first_day = dt.date(int(coming[:4]), 8, 1)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: first_day)
    html = start_page(client, world)
    assert "straks-digi" in html
    assert "nu-digi" not in html
    assert coming in html


def test_the_day_before_it_is_still_the_old_year(both_years, client, monkeypatch):
    world, coming = both_years
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: dt.date(int(coming[:4]), 7, 31))
    html = start_page(client, world)
    assert "nu-digi" in html and "straks-digi" not in html
