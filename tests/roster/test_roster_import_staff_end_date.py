"""The feed's `einddatum` of an appointment is imported: after that day the person has no rights there."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from roster.models import Appointment, School, Staff
from tests.factories import login_as
from tests.roster_feed import group, import_feed, school, staff

pytestmark = pytest.mark.django_db
SCHOOL = 500_401
COORDINATOR = 700_401


def feed_with(end_date: str | None):
    return [school(SCHOOL, groups=[group("G5")], staff=[staff(COORDINATOR, ["ICTCoordinator"], einddatum=end_date)])]


def test_an_appointment_that_ended_in_the_feed_loses_beheer_and_a_later_one_keeps_it(tmp_path, client):
    today = timezone.localdate()
    import_feed(tmp_path, feed_with((today + dt.timedelta(days=30)).isoformat()))
    school_pk = School.objects.get(basispoort_id=SCHOOL).pk
    appointment = Appointment.objects.get(staff__basispoort_id=COORDINATOR)
    assert appointment.end_date == today + dt.timedelta(days=30)
    login_as(client, Staff.objects.get(basispoort_id=COORDINATOR))
    assert client.get(reverse("beheer_home", args=[school_pk])).status_code == 200

    import_feed(tmp_path, feed_with((today - dt.timedelta(days=1)).isoformat()))
    appointment.refresh_from_db()
    assert appointment.end_date == today - dt.timedelta(days=1)
    assert client.get(reverse("beheer_home", args=[school_pk])).status_code == 404

    # The school administration takes the end date back: rights return with the next import.
    import_feed(tmp_path, feed_with(None))
    appointment.refresh_from_db()
    assert appointment.end_date is None
    assert client.get(reverse("beheer_home", args=[school_pk])).status_code == 200
