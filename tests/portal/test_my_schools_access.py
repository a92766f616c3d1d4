"""Only schools where the person is ict-coördinator today: the page, the downloads and every link
on them, walked as each persona of the board (tests/my_schools_world.py).

Fewer than two coordinated schools (a teacher, a coordinator of one school, an outsider) get 404:
the page is not offered to them, and 404 says nothing about other schools."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse

from tests.factories import login_as
from tests.my_schools_world import download_body

HREF = re.compile(r'<a [^>]*href="(/[^"#]*)')


def _leaks(text: str, board) -> list[str]:
    return [school.name for school in board.not_mine if school.name in text] + [
        school.brin for school in board.not_mine if school.brin in text
    ]


def test_the_coordinator_of_three_sees_exactly_their_three_schools(board, client):
    login_as(client, board.coordinator_of_three)
    page = client.get(reverse("my_schools"))
    assert page.status_code == 200
    html = page.content.decode()
    for school in board.mine:
        assert school.name in html
    assert _leaks(html, board) == []


def test_every_link_on_the_page_opens_and_shows_nothing_of_another_school(board, client):
    login_as(client, board.coordinator_of_three)
    html = client.get(reverse("my_schools")).content.decode()
    links = sorted(set(HREF.findall(html)))
    assert any("/beheer/licenties/groep/" in link for link in links)
    assert any("licentiegebruik" in link for link in links)
    for link in links:
        response = client.get(link, follow=True)
        assert response.status_code == 200, link
        body = download_body(response)
        if link.endswith(".xlsx"):
            continue  # a zip; its rows are read back in test_licence_usage_download.py
        assert _leaks(body.decode("utf-8-sig"), board) == [], link
    for school in board.mine:
        assert any(f"/school/{school.pk}/" in link for link in links)


def test_the_download_of_all_schools_holds_only_their_schools(board, client):
    login_as(client, board.coordinator_of_three)
    response = client.get(reverse("my_schools_usage", args=["csv"]))
    rows = list(csv.reader(io.StringIO(download_body(response).decode("utf-8-sig")), delimiter=";"))
    assert {row[0] for row in rows[1:]} == {school.name for school in board.mine}


@pytest.mark.parametrize("persona", ["teacher", "coordinator_of_one", "outsider"])
def test_fewer_than_two_coordinated_schools_get_no_page_and_no_download(board, client, persona):
    login_as(client, getattr(board, persona))
    for url in (reverse("my_schools"), reverse("my_schools_usage", args=["csv"])):
        assert client.get(url).status_code == 404, url
    assert client.get(reverse("my_schools_usage", args=["xlsx"])).status_code == 404


@pytest.mark.parametrize("persona", ["teacher", "coordinator_of_one", "outsider"])
def test_a_school_download_is_for_that_schools_coordinators_only(board, client, persona):
    login_as(client, getattr(board, persona))
    for school in board.mine:
        assert client.get(reverse("school_usage", args=[school.pk, "csv"])).status_code == 404
    own = {"coordinator_of_one": board.schools[3], "outsider": board.schools[4]}.get(persona)
    if own is not None:
        response = client.get(reverse("school_usage", args=[own.pk, "csv"]))
        assert response.status_code == 200
        assert download_body(response).decode("utf-8-sig").count(own.name) == 2


def test_another_suffix_is_not_a_download(board, client):
    login_as(client, board.coordinator_of_three)
    assert client.get("/mijn-scholen/licentiegebruik.pdf").status_code == 404


def test_an_ended_coordinator_appointment_leaves_the_page(board, client):
    board.coordinator_of_three.appointments.filter(school=board.schools[1]).update(active=False)
    login_as(client, board.coordinator_of_three)
    html = client.get(reverse("my_schools")).content.decode()
    assert board.schools[1].name not in html
    board.coordinator_of_three.appointments.filter(school=board.schools[2]).update(active=False)
    assert client.get(reverse("my_schools")).status_code == 404


def test_the_top_bar_and_kies_je_school_offer_it_only_to_coordinators_of_two(board, client):
    login_as(client, board.coordinator_of_three)
    choose = client.get(reverse("choose_school")).content.decode()
    assert reverse("my_schools") in choose
    beheer = client.get(reverse("beheer_home", args=[board.schools[0].pk])).content.decode()
    assert reverse("my_schools") in beheer
    login_as(client, board.coordinator_of_one)
    beheer = client.get(reverse("beheer_home", args=[board.schools[3].pk])).content.decode()
    assert reverse("my_schools") not in beheer


def test_anonymous_is_sent_to_login(board, client):
    for url in (reverse("my_schools"), reverse("my_schools_usage", args=["xlsx"])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_the_page_and_downloads_are_never_cached(board, client):
    login_as(client, board.coordinator_of_three)
    for url in (
        reverse("my_schools"),
        reverse("my_schools_usage", args=["csv"]),
        reverse("school_usage", args=[board.schools[0].pk, "xlsx"]),
    ):
        response = client.get(url)
        download_body(response)
        assert "no-store" in response["Cache-Control"], url


def test_a_coordinator_of_one_school_downloads_from_beheer(board, client):
    login_as(client, board.coordinator_of_one)
    own = board.schools[3]
    beheer = client.get(reverse("beheer_home", args=[own.pk])).content.decode()
    url = reverse("school_usage", args=[own.pk, "xlsx"])
    assert url in beheer
    response = client.get(url)
    assert response.status_code == 200
    assert download_body(response)[:2] == b"PK"  # a zip, as every .xlsx
