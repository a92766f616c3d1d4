"""No page with children's data is kept by a browser or a shared proxy.

Walks every school-scoped URL pattern from the URLconf (tests/school_urls.py, as
tests/test_school_urls_access.py does), as a full page and as an htmx partial, for a coordinator
and for an outsider: every answer, whatever its status, says ``Cache-Control: no-store, private``.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.cache import get_max_age

from tests.factories import login_as
from tests.school_urls import school_scoped_patterns, url_for

pytestmark = pytest.mark.django_db


def directives(response) -> set[str]:
    return {part.strip().split("=")[0] for part in response.get("Cache-Control", "").split(",") if part.strip()}


@pytest.mark.parametrize("persona", ["coordinator_a", "teacher_a", "coordinator_c"])
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_every_school_scoped_answer_is_no_store_and_private(world, school_objects, client, persona, htmx):
    login_as(client, getattr(world, persona))
    headers = {"HX-Request": "true"} if htmx else {}
    statuses = set()
    names = school_scoped_patterns()
    assert len(names) >= 20
    for name in names:
        response = client.get(url_for(name, world.school_a, school_objects["a"]), headers=headers)
        statuses.add(response.status_code)
        assert {"no-store", "private"} <= directives(response), (persona, name, response.get("Cache-Control"))
        assert "public" not in directives(response)
        assert get_max_age(response) in (None, 0)
    assert 200 in statuses or persona == "coordinator_c"


def test_a_post_answer_is_not_stored_either(world, school_objects, client):
    login_as(client, world.coordinator_a)
    response = client.post(
        reverse("licence_assign_seat", args=[world.school_a.pk, school_objects["a"]["pupil_licence"].pk]),
        {"pupil": school_objects["a"]["pupil"].pk},
    )
    assert {"no-store", "private"} <= directives(response)


def test_anonymous_visitors_of_school_urls_get_no_store_too(world, school_objects):
    for name in school_scoped_patterns():
        response = Client().get(url_for(name, world.school_a, school_objects["a"]))
        assert response.status_code == 302
        assert {"no-store", "private"} <= directives(response), name


def test_public_pages_stay_cacheable(db):
    # The login and help pages carry no personal data; nothing forbids caching them.
    assert "no-store" not in directives(Client().get("/help/"))
