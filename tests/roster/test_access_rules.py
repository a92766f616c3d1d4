"""Each condition of the access query on its own: a right needs an active appointment, not past
its end date, at an active school, with at least one recognised role (roster/access.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from roster.access import current_appointments
from roster.models import Appointment, AppointmentRole, School
from tests.factories import login_as

pytestmark = pytest.mark.django_db


def start_status(client, world) -> int:
    return client.get(reverse("school_start", kwargs={"school_id": world.school_a.pk})).status_code


def beheer_status(client, world) -> int:
    return client.get(reverse("beheer_home", kwargs={"school_id": world.school_a.pk})).status_code


def test_the_persona_starts_with_access(world, client):
    login_as(client, world.coordinator_a)
    assert (start_status(client, world), beheer_status(client, world)) == (200, 200)


def test_staff_of_a_closed_or_merged_school_lose_their_rights(world, client):
    School.objects.filter(pk=world.school_a.pk).update(active=False)
    login_as(client, world.coordinator_a)
    assert (start_status(client, world), beheer_status(client, world)) == (404, 404)
    assert not current_appointments(world.coordinator_a.basispoort_id).exists()
    # The coordinator of two schools keeps the one that is still open.
    assert list(current_appointments(world.coordinator_ab.basispoort_id).values_list("school", flat=True)) == [
        world.school_b.pk
    ]


def test_an_appointment_without_a_recognised_role_gets_no_start_page(world, client):
    AppointmentRole.objects.filter(appointment__staff=world.teacher_a).delete()
    login_as(client, world.teacher_a)
    assert start_status(client, world) == 404
    assert client.get(reverse("home")).status_code == 403


def test_an_inactive_appointment_gives_no_rights(world, client):
    Appointment.objects.filter(staff=world.coordinator_a).update(active=False)
    login_as(client, world.coordinator_a)
    assert (start_status(client, world), beheer_status(client, world)) == (404, 404)


def test_the_end_date_is_the_last_day_with_rights(world, client):
    today = timezone.localdate()
    login_as(client, world.coordinator_a)
    Appointment.objects.filter(staff=world.coordinator_a).update(end_date=today)
    assert beheer_status(client, world) == 200
    Appointment.objects.filter(staff=world.coordinator_a).update(end_date=today - dt.timedelta(days=1))
    assert beheer_status(client, world) == 404
    assert current_appointments(world.coordinator_a.basispoort_id, today=today - dt.timedelta(days=1)).count() == 1
