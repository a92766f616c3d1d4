"""After "Uitloggen" the login page says "Je bent uitgelogd." (issue 28, point 12); a visitor who
was not signed in is told nothing untrue."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import login_as


def test_the_login_page_says_you_are_logged_out(world):
    client = login_as(Client(), world.coordinator_a)
    page = client.post("/uitloggen/", follow=True)
    assert page.redirect_chain[-1][0].endswith("/inloggen/")
    assert "Je bent uitgelogd." in page.content.decode()
    assert "Je bent uitgelogd." not in client.get("/inloggen/").content.decode(), "said once"


@pytest.mark.django_db
def test_nobody_signed_in_is_not_told_they_logged_out():
    client = Client()
    client.get("/inloggen/")
    page = client.post("/uitloggen/", {"csrfmiddlewaretoken": client.cookies["csrftoken"].value}, follow=True)
    assert "Je bent uitgelogd." not in page.content.decode()
