"""/basispoort/<instelling>/beheer/, where the portal's "Bingel beheer" tile leads (issue 28,
point 11): Beheer of the school Basispoort knows by that id, for its coordinators only."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from tests.factories import login_as


def url(school) -> str:
    return reverse("beheer_by_institution", kwargs={"institution_id": school.basispoort_id})


def test_a_coordinator_lands_on_beheer(world):
    response = login_as(Client(), world.coordinator_a).get(url(world.school_a))
    assert response.status_code == 302
    assert response["Location"] == reverse("beheer_home", kwargs={"school_id": world.school_a.pk})


def test_a_teacher_or_an_outsider_gets_404(world):
    assert login_as(Client(), world.teacher_a).get(url(world.school_a)).status_code == 404
    assert login_as(Client(), world.coordinator_c).get(url(world.school_a)).status_code == 404
    assert login_as(Client(), world.coordinator_a).get(url(world.school_c)).status_code == 404


def test_without_a_session_the_login_keeps_the_way_back(world):
    response = Client().get(url(world.school_a))
    assert response.status_code == 302 and response["Location"].startswith("/inloggen/?next=/basispoort/")
    assert "via=portaal" not in response["Location"], "only for a visitor the portal sent"


def test_from_a_portal_tile_the_login_page_continues_at_once(world, settings):
    portal = settings.BASISPOORT_PORTAL_ORIGINS[0]
    response = Client().get(url(world.school_a), headers={"referer": portal + "/lesmateriaal/"})
    assert response["Location"].endswith("&via=portaal")
    login_page = Client().get(response["Location"]).content.decode()
    assert "data-continue" in login_page and 'name="next" value="/basispoort/' in login_page
    # From anywhere else, the button waits for a click.
    assert "data-continue" not in Client().get("/inloggen/?next=/help/").content.decode()
