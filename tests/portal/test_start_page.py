"""The teacher's start page: per method and product type, the licences that reach their own
groups — never Beheer, never another group's pupils or licences."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from licenses.models import GroupLink, LicenceKind, Method, ProductType, Seat
from roster.models import Group, Role
from tests.factories import appoint, login_as, make_group, make_licence, make_product, make_pupil, make_staff


@pytest.fixture
def licences(world):
    school = world.school_a
    group5 = Group.objects.get(school=school, name="Groep 5")
    group6 = make_group(school, "Groep 6", "6")
    pupils5 = [group5.pupils.get()] + [make_pupil(school, group5, f"Vijf{n}", "Kind") for n in range(3)]
    pupils6 = [make_pupil(school, group6, f"Zes{n}", "Anderekind") for n in range(2)]
    digi = make_licence(school, make_product("rekenen-digi"))
    GroupLink.objects.create(licence=digi, group=group5, school=school)
    toets = make_licence(school, make_product("rekenen-toets", ProductType.TOETSEN))
    GroupLink.objects.create(licence=toets, group=group5, school=school)
    only6 = make_licence(school, make_product("alleen-zes"))
    GroupLink.objects.create(licence=only6, group=group6, school=school)
    make_licence(school, make_product("niet-gekoppeld"))
    lezen = Method.objects.create(code="lezen", name="Leeslicht")
    plus = make_product("lezen-plus", ProductType.OEFENSOFTWARE)
    plus.method = lezen
    plus.save()
    seats = make_licence(school, plus, LicenceKind.PER_PUPIL, seats=25)
    for pupil in pupils5[:2] + pupils6:
        Seat.objects.create(licence=seats, pupil=pupil, school=school)
    six_only = make_licence(school, make_product("zes-plus", ProductType.OEFENSOFTWARE), LicenceKind.PER_PUPIL, 5)
    Seat.objects.create(licence=six_only, pupil=pupils6[0], school=school)
    old = make_licence(school, make_product("oud-digi"), school_year="2019-2020")
    GroupLink.objects.create(licence=old, group=group5, school=school)
    return {"group5": group5, "group6": group6}


def start(client, staff, school) -> str:
    login_as(client, staff)
    response = client.get(reverse("school_start", kwargs={"school_id": school.pk}))
    assert response.status_code == 200
    return response.content.decode()


def test_licences_of_the_teachers_groups_per_method_and_product_type(world, licences, client):
    page = start(client, world.teacher_a, world.school_a)
    rekenroute = page.split(">Rekenroute", 1)[1].split("</section>", 1)[0]
    assert rekenroute.index("Basis digitaal") < rekenroute.index("rekenen-digi")
    assert rekenroute.index("rekenen-digi") < rekenroute.index("Toetsen") < rekenroute.index("rekenen-toets")
    leeslicht = page.split(">Leeslicht", 1)[1].split("</section>", 1)[0]
    assert "Oefensoftware" in leeslicht and "lezen-plus" in leeslicht
    assert page.index(">Leeslicht") < page.index(">Rekenroute"), "methods in alphabetical order"


def test_per_pupil_seats_are_counted_for_the_teachers_group(world, licences, client):
    page = start(client, world.teacher_a, world.school_a)
    seats = page.split("lezen-plus", 1)[1].split("</ul>", 1)[0]
    assert "Licentie per kind" in seats
    assert "Groep 5: 2 van 4 leerlingen" in seats


def test_nothing_of_another_group(world, licences, client):
    page = start(client, world.teacher_a, world.school_a)
    for absent in ("alleen-zes", "zes-plus", "Groep 6", "Anderekind", "Zes0", "niet-gekoppeld", "oud-digi"):
        assert absent not in page, absent
    for pupil_name in ("Visser", "Emma", "Vijf0"):
        assert pupil_name not in page, "the start page names no pupils at all"


def test_a_teacher_never_sees_beheer(world, licences, client):
    page = start(client, world.teacher_a, world.school_a)
    assert not re.search(r">\s*Beheer\s*<", page)
    assert reverse("beheer_home", kwargs={"school_id": world.school_a.pk}) not in page


def test_a_coordinator_sees_beheer_and_a_coordinator_without_groups_an_explanation(world, licences, client):
    page = start(client, world.coordinator_a, world.school_a)
    assert reverse("beheer_home", kwargs={"school_id": world.school_a.pk}) in page
    assert "niet aan een groep gekoppeld" in page


def test_a_teacher_in_two_groups_sees_both_and_counts_per_group(world, licences, client):
    both = make_staff("Twee", "Groepen")
    appoint(both, world.school_a, Role.TEACHER, groups=[licences["group5"], licences["group6"]])
    page = start(client, both, world.school_a)
    assert "Groep 5: 2 van 4 leerlingen" in page
    assert "Groep 6: 2 van 2 leerlingen" in page
    assert "Groep 6: 1 van 2 leerlingen" in page, "zes-plus"
    assert "alleen-zes" in page


def test_no_licences_yet_says_who_links_them(world, client):
    page = start(client, world.teacher_a, world.school_a)
    assert "De ict-coördinator van de school koppelt de licenties" in page
