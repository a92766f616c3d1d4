"""Walk every school-scoped URL pattern as every persona: rights come from the roster only.

The patterns are read from the URLconf, so a new school-scoped view is walked automatically;
it only has to say here which right it needs.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import login_as

# Which right each school-scoped view needs: "staff" (any role at the school) or "coordinator".
RIGHTS = {
    "school_start": "staff",
    "beheer_home": "coordinator",
}


def school_scoped_patterns() -> list[str]:
    names = []

    def walk(patterns, inherited: bool):
        for entry in patterns:
            scoped = inherited or "school_id" in str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, scoped)
            elif isinstance(entry, URLPattern) and scoped:
                names.append(entry.name)

    walk(get_resolver().url_patterns, False)
    return names


def test_every_school_scoped_view_declares_its_right():
    names = school_scoped_patterns()
    assert names, "no school-scoped patterns found"
    assert set(names) == set(RIGHTS), "add new school-scoped views to RIGHTS"


def expected_status(persona: str, school: str, right: str) -> int:
    roles = {
        "coordinator_a": {"a": "coordinator"},
        "teacher_a": {"a": "staff"},
        "coordinator_ab": {"a": "coordinator", "b": "coordinator"},
        "coordinator_c": {"c": "coordinator"},
    }[persona]
    held = roles.get(school)
    if held is None:
        return 404
    if right == "coordinator" and held != "coordinator":
        return 404
    return 200


@pytest.mark.parametrize("persona", ["coordinator_a", "teacher_a", "coordinator_ab", "coordinator_c"])
def test_walk_every_school_url_as_every_persona(world, client, persona):
    login_as(client, getattr(world, persona))
    for name in school_scoped_patterns():
        for key in ("a", "b", "c"):
            school = getattr(world, f"school_{key}")
            response = client.get(reverse(name, kwargs={"school_id": school.pk}))
            assert response.status_code == expected_status(persona, key, RIGHTS[name]), (persona, name, key)


def test_anonymous_is_sent_to_login(world, client):
    for name in school_scoped_patterns():
        url = reverse(name, kwargs={"school_id": world.school_a.pk})
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_a_school_that_does_not_exist_is_404(world, client):
    login_as(client, world.coordinator_a)
    assert client.get(reverse("school_start", kwargs={"school_id": 987654})).status_code == 404


def test_ended_appointment_gives_no_access(world, client):
    from datetime import date

    world.coordinator_a.appointments.update(end_date=date(2020, 7, 31))
    login_as(client, world.coordinator_a)
    assert client.get(reverse("school_start", kwargs={"school_id": world.school_a.pk})).status_code == 404
    page = client.get(reverse("home"))
    assert page.status_code == 403
    assert "schooladministratie" in page.content.decode()


def test_lost_coordinator_role_loses_beheer_at_once(world, client):
    from roster.models import Role

    login_as(client, world.coordinator_ab)
    url = reverse("beheer_home", kwargs={"school_id": world.school_a.pk})
    assert client.get(url).status_code == 200
    appointment = world.coordinator_ab.appointments.get(school=world.school_a)
    appointment.roles.filter(role=Role.ICT_COORDINATOR).update(role=Role.TEACHER)
    assert client.get(url).status_code == 404


def test_beheer_button_only_for_coordinators(world, client):
    login_as(client, world.teacher_a)
    start = client.get(reverse("school_start", kwargs={"school_id": world.school_a.pk})).content.decode()
    assert reverse("beheer_home", kwargs={"school_id": world.school_a.pk}) not in start
    login_as(client, world.coordinator_a)
    start = client.get(reverse("school_start", kwargs={"school_id": world.school_a.pk})).content.decode()
    assert reverse("beheer_home", kwargs={"school_id": world.school_a.pk}) in start


def test_school_pages_have_bounded_queries(world, client, django_assert_max_num_queries):
    login_as(client, world.coordinator_a)
    for name in school_scoped_patterns():
        with django_assert_max_num_queries(10):
            client.get(reverse(name, kwargs={"school_id": world.school_a.pk}))
