"""The "Leerlingen" tab: search by name, page by page, and odd input never breaks it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from roster.models import Group
from roster.views import PUPILS_PER_PAGE
from tests.factories import login_as, make_pupil


@pytest.fixture
def many_pupils(world):
    group = Group.objects.get(school=world.school_a, name="Groep 5")
    for n in range(PUPILS_PER_PAGE + 5):
        make_pupil(world.school_a, group, f"Kind{n:03d}", "Berg", infix="van den")
    make_pupil(world.school_a, group, "Noor", "Vliet", infix="van")
    return group


def pupils_page(client, world, **query) -> str:
    login_as(client, world.coordinator_a)
    response = client.get(reverse("beheer_leerlingen", kwargs={"school_id": world.school_a.pk}), query)
    assert response.status_code == 200
    return response.content.decode()


def test_search_matches_every_word_in_any_name_part(world, many_pupils, client):
    page = pupils_page(client, world, q="noor van")
    assert "Vliet, Noor van" in page
    assert "1 leerling gevonden" in page
    assert "Berg, Kind" not in page


def test_search_ignores_case_and_keeps_the_query_in_the_box(world, many_pupils, client):
    page = pupils_page(client, world, q="VISSER")
    assert "Visser, Emma" in page
    assert 'value="VISSER"' in page


def test_pages_of_fifty_with_the_search_kept_in_the_links(world, many_pupils, client):
    first = pupils_page(client, world, q="berg")
    assert first.count("Berg, Kind") == PUPILS_PER_PAGE
    assert "Pagina 1 van 2" in first
    assert 'href="?q=berg&amp;pagina=2"' in first
    second = pupils_page(client, world, q="berg", pagina="2")
    assert second.count("Berg, Kind") == 5


@pytest.mark.parametrize("pagina", ["0", "999", "abc", "-1"])
def test_a_bad_page_number_shows_a_page_not_an_error(world, many_pupils, client, pagina):
    assert "Berg, Kind" in pupils_page(client, world, pagina=pagina)


def test_a_search_without_results_says_so(world, many_pupils, client):
    page = pupils_page(client, world, q="Zzzz")
    assert "Geen leerlingen gevonden" in page


def test_an_overlong_or_odd_query_is_harmless(world, many_pupils, client):
    page = pupils_page(client, world, q="%_' OR 1=1 --" + "x" * 500)
    assert "Geen leerlingen gevonden" in page
