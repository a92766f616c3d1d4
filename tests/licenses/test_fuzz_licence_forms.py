"""Hostile input on every licence POST: never a 500, never a change outside the persona's school.

Hypothesis drives long strings, unicode, wrong types, missing fields and other schools' ids.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.models import AuditEvent
from licenses.models import GroupLink, Seat
from tests.factories import login_as

pytestmark = pytest.mark.django_db

hostile_text = st.one_of(
    st.text(max_size=300),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(["", " ", "0", "-1", "1e9", "NaN", "null", "[]", "{}", "%00", "' OR 1=1 --", "٣", "４"]),
)
form_data = st.dictionaries(
    keys=st.sampled_from(["group", "pupil", "groep", "jaargroep", "next", "csrfmiddlewaretoken", "☃"]),
    values=st.one_of(hostile_text, st.lists(hostile_text, max_size=4)),
    max_size=5,
)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def state_of_other_schools(world) -> tuple:
    others = [world.school_b, world.school_c]
    return (
        GroupLink.objects.filter(school__in=others).count(),
        Seat.objects.filter(school__in=others).count(),
        AuditEvent.objects.filter(school__in=others).count(),
    )


def targets(world, licences) -> list[str]:
    a = world.school_a.pk
    return [
        reverse("licence_link_groups", args=[a, licences.group_licence.pk]),
        reverse("licence_unlink_group", args=[a, licences.group_licence.pk, licences.group_4a.pk]),
        reverse("licence_assign_seat", args=[a, licences.pupil_licence.pk]),
        reverse("licence_release_seat", args=[a, licences.pupil_licence.pk, licences.pupils[0].pk]),
        reverse("licence_link_groups", args=[a, licences.pupil_licence.pk]),  # wrong kind
        reverse("licence_assign_seat", args=[a, licences.group_licence.pk]),  # wrong kind
    ]


@FUZZ
@given(data=form_data)
def test_licence_posts_survive_hostile_input(world, licences, data):
    client = login_as(Client(raise_request_exception=False), world.coordinator_a)
    before = state_of_other_schools(world)
    for url in targets(world, licences):
        response = client.post(url, data)
        assert response.status_code < 500, (url, data)
    assert state_of_other_schools(world) == before


@FUZZ
@given(group_ids=st.lists(st.integers(min_value=-5, max_value=10**12), max_size=6))
def test_other_schools_ids_are_never_linked(world, licences, group_ids):
    client = login_as(Client(raise_request_exception=False), world.coordinator_a)
    foreign = [licences.other_school_group.pk]
    client.post(targets(world, licences)[0], {"group": [*group_ids, *foreign]})
    client.post(targets(world, licences)[2], {"pupil": licences.other_school_pupil.pk})
    assert not GroupLink.objects.filter(group__school=world.school_c).exists()
    assert not Seat.objects.filter(pupil__school=world.school_c).exists()
    assert not GroupLink.objects.exclude(school=world.school_a).exists()
