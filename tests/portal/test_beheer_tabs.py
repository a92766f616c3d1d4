"""The tabs of "Schoolgegevens en licenties": each has its own URL, shows what the roster
says, is read-only, and carries the notice that the school administration is the source."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from roster.models import Role
from tests.factories import appoint, login_as, make_staff

TABS = {
    "beheer_gegevens": "Gegevens",
    "beheer_groepen": "Groepen",
    "beheer_coordinatoren": "Ict-coördinatoren",
    "beheer_leerkrachten": "Leerkrachten",
    "beheer_leerlingen": "Leerlingen",
}


def get(client, world, name: str) -> str:
    login_as(client, world.coordinator_a)
    response = client.get(reverse(name, kwargs={"school_id": world.school_a.pk}))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("name", TABS)
def test_every_tab_is_read_only_marks_itself_and_names_the_source(world, client, name):
    page = get(client, world, name)
    # The "Let op!" callout once, on Gegevens; the other tabs say it in one line (issue 28).
    assert page.count("Let op!") == (1 if name == "beheer_gegevens" else 0)
    assert "Gebruikers en groepen beheer je in het schooladministratiepakket" in page or (
        "gebruikers en groepen wijzig je in het schooladministratiepakket" in page
    )
    assert "de volgende dag" in page
    url = reverse(name, kwargs={"school_id": world.school_a.pk})
    assert f'href="{url}" aria-current="page">{TABS[name]}</a>' in page
    # The only forms are the top bar's language and logout buttons, and the pupil search.
    assert page.count("<form") == (3 if name == "beheer_leerlingen" else 2)


def test_gegevens_shows_the_school_data(world, client):
    world.school_a.street, world.school_a.house_number, world.school_a.city = "Schoolstraat", "12", "Utrecht"
    world.school_a.save()
    page = get(client, world, "beheer_gegevens")
    for text in ("De Regenboog", "12AB", "12AB00", "Schoolstraat 12", "Utrecht"):
        assert text in page


def test_groepen_lists_groups_with_teachers_and_pupil_counts(world, client):
    page = get(client, world, "beheer_groepen")
    row = page.split(">Groep 5<", 1)[1].split("</tr>", 1)[0]
    assert "Mark Jansen" in row
    assert '<td class="num">1</td>' in row
    assert "Groep 3" not in page, "school B's group"


def test_coordinatoren_lists_only_current_coordinators(world, client):
    gone = make_staff("Oud", "Coördinator")
    appoint(gone, world.school_a, Role.ICT_COORDINATOR, end_date=dt.date(2020, 7, 31))
    page = get(client, world, "beheer_coordinatoren")
    assert "Bakker, Ilse" in page and "Vries, Sanne de" in page
    assert "Jansen" not in page.split("<table", 1)[1], "a teacher is not a coordinator"
    assert "Oud" not in page
    assert "Amrani" not in page


def test_leerkrachten_lists_teachers_with_their_groups(world, client):
    page = get(client, world, "beheer_leerkrachten")
    table = page.split("<table", 1)[1]
    row = table.split("Jansen, Mark", 1)[1].split("</tr>", 1)[0]
    assert "Groep 5" in row and "Leerkracht" in row
    assert "Bakker, Ilse" not in table, "a coordinator who does not teach"


def test_leerlingen_lists_pupils_with_their_group(world, client):
    page = get(client, world, "beheer_leerlingen")
    row = page.split("Visser, Emma", 1)[1].split("</tr>", 1)[0]
    assert "Groep 5" in row
    assert "Dekker" not in page, "school C's pupil"
