"""Licenties per kind: choose the group, choose the child, "Toevoegen"; never more seats than bought."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditAction, AuditEvent
from licenses import actions
from licenses.models import Seat
from tests.factories import login_as

pytestmark = pytest.mark.django_db


def assign_url(world, licences):
    return reverse("licence_assign_seat", args=[world.school_a.pk, licences.pupil_licence.pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_page_shows_available_seats_and_linked_pupils(world, licences, client):
    Seat.objects.create(licence=licences.pupil_licence, pupil=licences.pupils[0], school=world.school_a)
    login_as(client, world.coordinator_a)
    page = client.get(reverse("licences_per_pupil", args=[world.school_a.pk])).content.decode()
    assert "4 van 5 beschikbaar" in page
    assert "Jansen, Kind0" in page and "Ontkoppelen" in page
    assert '<svg class="bar"' in page


def test_two_step_choice_without_javascript(world, licences, client):
    Seat.objects.create(licence=licences.pupil_licence, pupil=licences.pupils[0], school=world.school_a)
    login_as(client, world.coordinator_a)
    step1 = client.get(assign_url(world, licences)).content.decode()
    assert "Kies de groep van het kind" in step1 and 'name="pupil"' not in step1
    step2 = client.get(assign_url(world, licences), {"groep": licences.group_4a.pk}).content.decode()
    choices = step2.split('name="pupil"')[1].split("</select>")[0]
    assert "Kind1" in choices and "Kind0" not in choices, "only pupils without a seat"


def test_htmx_gets_only_the_child_choice(world, licences, client):
    login_as(client, world.coordinator_a)
    partial = client.get(assign_url(world, licences), {"groep": licences.group_4a.pk}, headers={"HX-Request": "true"})
    html = partial.content.decode()
    assert 'name="pupil"' in html and "<html" not in html


def test_assign_a_child_audited_and_repeatable(world, licences, client):
    login_as(client, world.coordinator_a)
    response = client.post(assign_url(world, licences), {"groep": licences.group_4a.pk, "pupil": licences.pupils[1].pk})
    assert response.status_code == 302 and f"groep={licences.group_4a.pk}" in response["Location"]
    page = client.get(response["Location"])
    assert any("is gekoppeld aan" in m for m in messages_of(page))
    # The lesson-week note stands on the page itself, not repeated in the success message.
    assert not any("lopende lesweek" in m for m in messages_of(page))
    assert "lopende lesweek" in page.content.decode()
    assert Seat.objects.filter(pupil=licences.pupils[1]).exists()
    event = AuditEvent.objects.get()
    assert event.action == AuditAction.ASSIGN_SEAT and event.after["pupil_name"] == "Kind1 Jansen"


def test_no_seats_left_is_refused(world, licences, client):
    for pupil in licences.pupils[:5]:
        actions.assign_seat(school=world.school_a, licence_id=licences.pupil_licence.pk, pupil_id=pupil.pk, actor=None)
    login_as(client, world.coordinator_a)
    response = client.post(assign_url(world, licences), {"pupil": licences.pupils[6].pk}, follow=True)
    assert Seat.objects.count() == 5
    assert any("geen licenties meer beschikbaar" in m for m in messages_of(response))


def test_assigning_twice_is_harmless(world, licences):
    args = {
        "school": world.school_a,
        "licence_id": licences.pupil_licence.pk,
        "pupil_id": licences.pupils[0].pk,
        "actor": None,
    }
    assert actions.assign_seat(**args).outcome is actions.Outcome.DONE
    assert actions.assign_seat(**args).outcome is actions.Outcome.ALREADY
    assert Seat.objects.count() == 1 and AuditEvent.objects.count() == 1


def test_inactive_pupil_cannot_be_linked(world, licences):
    pupil = licences.pupils[0]
    pupil.active = False
    pupil.save()
    with pytest.raises(actions.LinkRefused, match="niet \\(meer\\) als actief"):
        actions.assign_seat(school=world.school_a, licence_id=licences.pupil_licence.pk, pupil_id=pupil.pk, actor=None)


def test_pupil_of_another_school_is_refused(world, licences, client):
    login_as(client, world.coordinator_ab)
    response = client.post(assign_url(world, licences), {"pupil": licences.other_school_pupil.pk}, follow=True)
    assert not Seat.objects.exists()
    assert any("Kies een leerling van deze school" in m for m in messages_of(response))


def test_expired_licence_is_refused(world, licences):
    licences.pupil_licence.school_year = "2019-2020"
    licences.pupil_licence.save()
    with pytest.raises(actions.LinkRefused, match="verlopen"):
        actions.assign_seat(
            school=world.school_a, licence_id=licences.pupil_licence.pk, pupil_id=licences.pupils[0].pk, actor=None
        )


def test_release_with_confirmation_frees_the_seat(world, licences, client):
    Seat.objects.create(licence=licences.pupil_licence, pupil=licences.pupils[0], school=world.school_a)
    login_as(client, world.coordinator_a)
    url = reverse("licence_release_seat", args=[world.school_a.pk, licences.pupil_licence.pk, licences.pupils[0].pk])
    assert "Weet je zeker" in client.get(url).content.decode()
    assert Seat.objects.exists()
    client.post(url)
    assert not Seat.objects.exists()
    assert AuditEvent.objects.get().action == AuditAction.RELEASE_SEAT


def test_garbage_input_gets_a_message(world, licences, client):
    login_as(client, world.coordinator_a)
    for data in ({}, {"pupil": "x"}, {"pupil": "123456789", "groep": "y"}):
        response = client.post(assign_url(world, licences), data, follow=True)
        assert response.status_code == 200 and messages_of(response)
    assert not Seat.objects.exists()


def test_unlinking_what_someone_else_just_unlinked_says_so(world, licences, client):
    login_as(client, world.coordinator_a)
    url = reverse("licence_release_seat", args=[world.school_a.pk, licences.pupil_licence.pk, licences.pupils[0].pk])
    confirm = client.get(url, follow=True)
    assert any("niet (meer) gekoppeld" in m for m in messages_of(confirm))
    response = client.post(url, follow=True)
    assert response.status_code == 200
    assert any("niet (meer) gekoppeld" in m for m in messages_of(response))
    assert not AuditEvent.objects.exists()
