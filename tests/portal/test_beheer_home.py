"""Beheer home: the licence overview with its bars, the result-link and import sections, and
the school data summary — only this school's licences of this school year."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from licenses.models import GroupLink, LicenceKind, ProductType, Seat
from roster.models import Group
from tests.factories import login_as, make_group, make_licence, make_product, make_pupil


@pytest.fixture
def licences(world):
    school = world.school_a
    group5 = Group.objects.get(school=school, name="Groep 5")
    group6 = make_group(school, "Groep 6", "6")
    pupils6 = [make_pupil(school, group6, f"Kind{n}", "Zes") for n in range(3)]
    linked = make_licence(school, make_product("rekenen-digi"))
    GroupLink.objects.create(licence=linked, group=group5, school=school)
    GroupLink.objects.create(licence=linked, group=group6, school=school)
    unlinked = make_licence(school, make_product("taal-papier", ProductType.BASIS_PAPIER))
    per_pupil = make_licence(school, make_product("plus-oefen", ProductType.OEFENSOFTWARE), LicenceKind.PER_PUPIL, 4)
    for pupil in pupils6[:3]:
        Seat.objects.create(licence=per_pupil, pupil=pupil, school=school)
    make_licence(school, make_product("oud-digi"), school_year="2019-2020")
    make_licence(world.school_b, make_product("ander-digi"))
    return {"linked": linked, "unlinked": unlinked, "per_pupil": per_pupil}


def home(client, world) -> str:
    login_as(client, world.coordinator_a)
    response = client.get(reverse("beheer_home", kwargs={"school_id": world.school_a.pk}))
    assert response.status_code == 200
    return response.content.decode()


def test_group_licences_are_split_into_linked_and_not_linked(world, licences, client):
    page = home(client, world)
    assert "1 van 2 licenties zijn aan een groep gekoppeld." in page
    not_linked = page.split("Nog niet gekoppeld", 1)[1].split("Gekoppeld", 1)[0]
    assert "taal-papier" in not_linked and "rekenen-digi" not in not_linked
    assert re.search(r"2 groepen</span>\s*rekenen-digi", page)


def test_per_pupil_licences_show_seats_used_and_available_with_a_bar(world, licences, client):
    page = home(client, world)
    row = page.split("plus-oefen", 1)[1].split("</tr>", 1)[0]
    assert "3 van 4 gebruikt, 1 beschikbaar" in row
    assert 'class="meter__fill" width="75"' in row


def test_coverage_per_year_level_counts_group_links_and_seats(world, licences, client):
    page = home(client, world)
    table = page.split("Leerlingen met een licentie, per jaargroep", 1)[1].split("</table>", 1)[0]
    # Emma (group 5) through the group licence; the three in group 6 through it and their seats.
    assert re.search(r">5</th>\s*<td>\s*1 van 1", table)
    assert re.search(r">6</th>\s*<td>\s*3 van 3", table)
    assert table.count('class="meter__fill" width="100"') == 2


def test_a_pupil_without_any_licence_is_not_covered(world, licences, client):
    school = world.school_a
    group7 = make_group(school, "Groep 7", "7")
    make_pupil(school, group7, "Sem", "Zonder")
    table = home(client, world).split("Leerlingen met een licentie, per jaargroep", 1)[1].split("</table>", 1)[0]
    assert re.search(r">7</th>\s*<td>\s*0 van 1", table)


def test_other_schools_and_other_school_years_stay_out(world, licences, client):
    page = home(client, world)
    assert "ander-digi" not in page
    assert "oud-digi" not in page


def test_empty_school_year_says_so(world, client):
    page = home(client, world)
    assert "nog geen licenties" in page


def test_result_links_and_import_have_honest_empty_states(world, client):
    page = home(client, world)
    assert "Nog geen resultaatkoppelingen" in page
    assert reverse("resultlinks", kwargs={"school_id": world.school_a.pk}) in page
    assert "nog niet gesynchroniseerd met Basispoort" in page
    assert "de volgende dag" in page


def test_school_data_summary_and_the_way_to_the_tabs(world, client):
    page = home(client, world)
    assert "12AB00" in page
    assert reverse("beheer_gegevens", kwargs={"school_id": world.school_a.pk}) in page
    assert "Schoolgegevens en licenties" in page


def test_a_pupil_covered_only_through_a_linked_subgroup_counts(world, licences, client):
    school = world.school_a
    group8 = make_group(school, "Groep 8", "8")
    plusklas = make_group(school, "Plusklas", "8", is_subgroup=True)
    daan = make_pupil(school, group8, "Daan", "Plus")
    make_pupil(school, group8, "Sara", "Niet")
    daan.subgroups.add(plusklas)
    GroupLink.objects.create(licence=licences["linked"], group=plusklas, school=school)
    table = home(client, world).split("Leerlingen met een licentie, per jaargroep", 1)[1].split("</table>", 1)[0]
    assert re.search(r">8</th>\s*<td>\s*1 van 2", table)
