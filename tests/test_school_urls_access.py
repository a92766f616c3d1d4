"""Walk every school-scoped URL pattern as every persona: rights come from the roster only.

The patterns are read from the URLconf, so a new school-scoped view is walked automatically;
it only has to say here which right it needs.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import get_resolver, reverse

from audit.models import AuditEvent
from licenses.models import GroupLink, Seat
from roster.models import Role
from tests.factories import login_as
from tests.school_urls import EXTRA_KWARGS, GET_ONLY, MAX_QUERIES, POST_ONLY, school_scoped_patterns, url_for

# Which right each school-scoped view needs: "staff" (any role at the school) or "coordinator".
RIGHTS = {
    "school_start": "staff",
    "beheer_home": "coordinator",
    "school_usage": "coordinator",
    "beheer_gegevens": "coordinator",
    "beheer_groepen": "coordinator",
    "beheer_groep": "coordinator",
    "beheer_coordinatoren": "coordinator",
    "beheer_leerkrachten": "coordinator",
    "beheer_leerlingen": "coordinator",
    "licences_per_group": "coordinator",
    "licence_link_groups": "coordinator",
    "licence_unlink_group": "coordinator",
    "licences_per_pupil": "coordinator",
    "licence_assign_seat": "coordinator",
    "licence_release_seat": "coordinator",
    "audit_log": "coordinator",
    "held_night": "coordinator",
    "held_night_apply": "coordinator",
    "held_night_discard": "coordinator",
    "licence_new_year": "coordinator",
    "resultlinks": "coordinator",
    "resultlink_add": "coordinator",
    "resultlink_change_key": "coordinator",
    "resultlink_remove": "coordinator",
    "resultlink_status": "coordinator",
    # A group's login codes are for its coordinators and its own teachers; the walked groups have
    # no teacher, so only coordinators get in here (tests/roster/test_login_codes.py covers teachers).
    "group_login_codes": "coordinator",
    "group_login_codes_print": "coordinator",
    "group_login_method": "coordinator",
    "pupil_login_code": "coordinator",
}


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


def test_every_view_with_more_arguments_says_where_they_come_from():
    for name in school_scoped_patterns():
        pattern = next(p for p in get_resolver().reverse_dict.getlist(name))
        arguments = set(pattern[0][0][1]) - {"school_id"}
        assert arguments == set(EXTRA_KWARGS[name](_Any()) if arguments else ()), name


class _Any(dict):
    def __getitem__(self, key):
        return type("Obj", (), {"pk": 1})()


@pytest.mark.parametrize("persona", ["coordinator_a", "teacher_a", "coordinator_ab", "coordinator_c"])
def test_walk_every_school_url_as_every_persona(world, school_objects, client, persona):
    login_as(client, getattr(world, persona))
    for name in school_scoped_patterns():
        for key in ("a", "b", "c"):
            school = getattr(world, f"school_{key}")
            url = url_for(name, school, school_objects[key])
            expected = expected_status(persona, key, RIGHTS[name])
            response = client.get(url)
            if name in POST_ONLY:
                assert response.status_code == 405, (persona, name, key, response.status_code)
                # An empty form: refused with a message (a redirect) when allowed, 404 when not.
                response = client.post(url, {})
                expected = 302 if expected == 200 else 404
            assert response.status_code == expected, (persona, name, key, response.status_code)


@pytest.mark.parametrize("persona", ["teacher_a", "coordinator_c"])
def test_posts_to_schools_without_the_right_are_404_and_change_nothing(world, school_objects, client, persona):
    login_as(client, getattr(world, persona))
    before = (GroupLink.objects.count(), Seat.objects.count(), AuditEvent.objects.count())
    for name in school_scoped_patterns():
        for key in ("a", "b"):
            if expected_status(persona, key, RIGHTS[name]) == 200:
                continue
            url = url_for(name, getattr(world, f"school_{key}"), school_objects[key])
            data = {"group": school_objects[key]["group"].pk, "pupil": school_objects[key]["pupil"].pk}
            expected = 405 if name in GET_ONLY else 404
            assert client.post(url, data).status_code == expected, (persona, name, key)
    assert (GroupLink.objects.count(), Seat.objects.count(), AuditEvent.objects.count()) == before


def test_anonymous_is_sent_to_login(world, school_objects, client):
    for name in school_scoped_patterns():
        url = url_for(name, world.school_a, school_objects["a"])
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_a_school_that_does_not_exist_is_404(world, client):
    login_as(client, world.coordinator_a)
    assert client.get(reverse("school_start", kwargs={"school_id": 987654})).status_code == 404


def test_ended_appointment_gives_no_access(world, client):

    world.coordinator_a.appointments.update(end_date=date(2020, 7, 31))
    login_as(client, world.coordinator_a)
    assert client.get(reverse("school_start", kwargs={"school_id": world.school_a.pk})).status_code == 404
    page = client.get(reverse("home"))
    assert page.status_code == 403
    assert "schooladministratie" in page.content.decode()


def test_lost_coordinator_role_loses_beheer_at_once(world, client):

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


def test_school_pages_have_bounded_queries(world, school_objects, client, django_assert_max_num_queries):
    login_as(client, world.coordinator_a)
    for name in school_scoped_patterns():
        with django_assert_max_num_queries(MAX_QUERIES):
            response = client.get(url_for(name, world.school_a, school_objects["a"]))
        assert response.status_code == (405 if name in POST_ONLY else 200), name
