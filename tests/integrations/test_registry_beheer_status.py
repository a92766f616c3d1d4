"""Beheer home says whether the school's tiles in the Basispoort portal are up to date, or what waits and why."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from integrations.models import RegistryPushState, RegistrySchool, RegistrySet
from tests.factories import login_as

pytestmark = pytest.mark.django_db


@pytest.fixture
def home(world, client, settings):
    settings.LICENCE_REGISTRY_URL = "https://registry.example/rest/v1/"
    login_as(client, world.coordinator_a)
    return lambda: client.get(f"/school/{world.school_a.pk}/beheer/").content.decode()


def at(hour: int, minute: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(hour, minute)))


def test_up_to_date_shows_the_time_of_the_last_update(world, home):
    RegistrySchool.objects.create(school=world.school_a, last_success_at=at(2, 14))
    assert "Zichtbaar in Basispoort: bijgewerkt om 02:14" in home()


def test_an_update_of_an_earlier_day_names_the_day(world, home):
    RegistrySchool.objects.create(school=world.school_a, last_success_at=at(2, 14) - dt.timedelta(days=2))
    page = home()
    assert "Zichtbaar in Basispoort: bijgewerkt op" in page and "om 02:14" in page


def test_waiting_for_a_retry_says_why_and_when(world, home):
    RegistrySchool.objects.create(
        school=world.school_a, dirty_since=at(10, 5), attempts=2, next_attempt_at=at(10, 9), last_error="transient"
    )
    page = home()
    assert "Wacht sinds 10:05: Basispoort is tijdelijk niet bereikbaar." in page
    assert "Volgende poging om 10:09." in page


def test_a_refused_certificate_is_said_without_blaming_the_school(world, home):
    RegistrySchool.objects.create(school=world.school_a, dirty_since=at(9, 0), certificate_refused=True, attempts=1)
    assert "Basispoort weigert de verbinding met Bingel" in home()


def test_a_refused_set_is_mentioned(world, home):
    RegistrySchool.objects.create(school=world.school_a, last_success_at=at(2, 14))
    RegistrySet.objects.create(school=world.school_a, productcode="x", state=RegistryPushState.REFUSED)
    assert "Basispoort weigerde de gegevens van een of meer licenties" in home()


def test_another_school_state_is_not_shown(world, home):
    RegistrySchool.objects.create(school=world.school_b, last_success_at=at(2, 14))
    page = home()
    assert "Nog niet naar Basispoort gestuurd" in page and "bijgewerkt om 02:14" not in page


def test_the_status_costs_one_query(world, home, settings):
    RegistrySchool.objects.create(school=world.school_a, last_success_at=at(2, 14))
    home()
    settings.LICENCE_REGISTRY_URL = ""

    with CaptureQueriesContext(connection) as without:
        assert "Lesmateriaal in Basispoort" not in home()
    settings.LICENCE_REGISTRY_URL = "https://registry.example/rest/v1/"
    with CaptureQueriesContext(connection) as with_registry:
        home()
    assert len(with_registry) == len(without) + 1


def test_the_status_in_english(world, client, settings):
    settings.LICENCE_REGISTRY_URL = "https://registry.example/rest/v1/"
    RegistrySchool.objects.create(school=world.school_a, last_success_at=at(2, 14))
    login_as(client, world.coordinator_a)
    page = client.get(f"/school/{world.school_a.pk}/beheer/", headers={"accept-language": "en"}).content.decode()
    assert "Visible in Basispoort: updated at 02:14" in page
