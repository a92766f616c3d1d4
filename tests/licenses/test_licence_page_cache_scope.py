"""What the licence pages keep rendered is only ever shown after the access check, to the school's
coordinators, and never kept by the browser."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from licenses.models import GroupLink
from licenses.page_cache import CSRF_PLACEHOLDER
from tests.factories import login_as

pytestmark = pytest.mark.django_db
PAGES = ["licences_per_group", "licences_per_pupil", "licence_new_year"]


@pytest.mark.parametrize("name", PAGES)
def test_warm_cards_are_not_shown_to_a_teacher_or_an_outsider(client, world, licences, name):
    url = reverse(name, args=[world.school_a.pk])
    login_as(client, world.coordinator_a)
    assert client.get(url).status_code == 200  # the cards are now cached
    login_as(client, world.teacher_a)
    assert client.get(url).status_code == 404
    login_as(client, world.coordinator_c)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


@pytest.mark.parametrize("name", PAGES)
def test_a_cached_page_is_still_no_store(client, world, licences, name):
    login_as(client, world.coordinator_a)
    url = reverse(name, args=[world.school_a.pk])
    client.get(url)
    response = client.get(url)
    assert "no-store" in response["Cache-Control"]


def test_each_form_gets_the_visitors_own_csrf_token(world, licences):
    """The cached cards hold a placeholder; every response carries a token that this session's
    CSRF cookie accepts, so "Koppelen" still works from a cached page."""

    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    url = reverse("licences_per_group", args=[world.school_a.pk])
    for visitor in (first, second):
        login_as(visitor, world.coordinator_a)
        html = visitor.get(url).content.decode()
        assert CSRF_PLACEHOLDER not in html
    licence = licences.group_licence
    link = reverse("licence_link_groups", args=[world.school_a.pk, licence.pk])
    form = html.split(f'action="{link}"', 1)[1]
    token = form.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    response = second.post(link, {"group": licences.group_4a.pk, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert GroupLink.objects.filter(licence=licence, group=licences.group_4a).exists()
