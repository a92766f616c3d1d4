"""The school forms that change something refuse a POST without the CSRF token (403, nothing
changed) and accept it with the token from the page; checked without a browser."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from licenses.models import GroupLink, Seat
from tests.factories import login_as

pytestmark = pytest.mark.django_db
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def strict(world) -> Client:
    return login_as(Client(enforce_csrf_checks=True), world.coordinator_a)


def footprint() -> tuple[int, int, int]:
    return GroupLink.objects.count(), Seat.objects.count(), AuditEvent.objects.count()


def token_from(client: Client, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200
    return TOKEN.search(page.content.decode())[1]


def test_linking_a_group_needs_the_token(world, licences, strict):
    url = reverse("licence_link_groups", args=[world.school_a.pk, licences.group_licence.pk])
    data = {"group": licences.group_4a.pk}
    assert strict.post(url, data).status_code == 403
    assert footprint() == (0, 0, 0)
    data["csrfmiddlewaretoken"] = token_from(strict, reverse("licences_per_group", args=[world.school_a.pk]))
    assert strict.post(url, data).status_code == 302
    assert list(GroupLink.objects.values_list("group_id", flat=True)) == [licences.group_4a.pk]


def test_assigning_a_seat_needs_the_token(world, licences, strict):
    url = reverse("licence_assign_seat", args=[world.school_a.pk, licences.pupil_licence.pk])
    data = {"pupil": licences.pupils[0].pk}
    assert strict.post(url, data).status_code == 403
    assert footprint() == (0, 0, 0)
    data["csrfmiddlewaretoken"] = token_from(strict, reverse("licences_per_pupil", args=[world.school_a.pk]))
    assert strict.post(url, data).status_code in (200, 302)
    assert list(Seat.objects.values_list("pupil_id", flat=True)) == [licences.pupils[0].pk]


def test_unlinking_and_releasing_need_the_token(world, licences, strict):
    GroupLink.objects.create(licence=licences.group_licence, group=licences.group_4a, school=world.school_a)
    Seat.objects.create(licence=licences.pupil_licence, pupil=licences.pupils[0], school=world.school_a)
    unlink = reverse("licence_unlink_group", args=[world.school_a.pk, licences.group_licence.pk, licences.group_4a.pk])
    release = reverse(
        "licence_release_seat", args=[world.school_a.pk, licences.pupil_licence.pk, licences.pupils[0].pk]
    )
    for url in (unlink, release):
        assert strict.post(url, {"confirm": "1"}).status_code == 403
    assert footprint() == (1, 1, 0)
