"""By day, with the licence registry down: Sanne's click is saved and said so, and the push catches up.

The registry is the reference registry, really started and stopped on a port of our own. Tasks run
eagerly, as in the demo, so the push runs inside the request: before the fix the push's failure
escaped the after-commit hook and Sanne got the 500 page ("Er is niets gewijzigd") while the
link had been saved.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditAction, AuditEvent
from bingel_admin.celery import app
from demo.reference_registry import PREFIX, ReferenceRegistry, running
from integrations import tasks
from integrations.models import RegistryChange, RegistrySchool
from licenses.models import GroupLink, Seat
from roster import login_codes
from roster.models import LoginMethod
from tests.factories import login_as

pytestmark = pytest.mark.django_db(transaction=True)

PORT = 17210
URL = f"https://127.0.0.1:{PORT}{PREFIX}"


@pytest.fixture
def registry(settings, registry_pki, monkeypatch):
    """The reference registry on our port: up once (so it is known), then stopped for the clicks."""
    monkeypatch.setitem(app.conf, "task_always_eager", True)
    settings.LICENCE_REGISTRY_URL = URL
    settings.LICENCE_REGISTRY_CLIENT_CERT = str(registry_pki.client)
    settings.LICENCE_REGISTRY_CLIENT_KEY = ""
    settings.LICENCE_REGISTRY_CA_BUNDLE = str(registry_pki.ca)
    settings.LICENCE_REGISTRY_RETRY_BASE_SECONDS = 0
    registry = ReferenceRegistry(seed=25)

    @contextmanager
    def back():
        with running(registry, registry_pki, port=PORT) as url:
            assert url == URL
            yield registry

    with back():
        pass  # it was there, and is now stopped: connections are refused
    registry.back = back
    return registry


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def sets_of(registry, school) -> dict[str, int]:
    """Product code → number of users the registry holds for the school."""
    return {
        code: len(entry.body["gebruikers"])
        for (inst, code), entry in registry.entries.items()
        if inst == school.basispoort_id and entry.body
    }


def test_sanne_links_a_group_while_the_registry_is_down_and_the_next_click_catches_up(
    world, licences, client, registry
):
    login_as(client, world.coordinator_a)  # Sanne, coordinator of school A
    url = reverse("licence_link_groups", args=[world.school_a.pk, licences.group_licence.pk])
    response = client.post(url, {"group": licences.group_4b.pk}, follow=True)
    assert response.status_code == 200
    assert any("is gekoppeld aan Groep 4b" in m for m in messages_of(response))
    assert GroupLink.objects.filter(group=licences.group_4b).count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.LINK_GROUP).count() == 1
    waiting = RegistrySchool.objects.get(school=world.school_a)
    assert waiting.dirty_since is not None and not waiting.queued and "ConnectionError" in waiting.last_error
    assert not RegistryChange.objects.exists(), "collected into the school's waiting state"
    assert sets_of(registry, world.school_a) == {}

    with registry.back():
        # The next click, on something else, also sends what waited (eager mode has no beat).
        response = client.post(
            reverse("licence_assign_seat", args=[world.school_a.pk, licences.pupil_licence.pk]),
            {"groep": licences.group_4a.pk, "pupil": licences.pupils[1].pk},
            follow=True,
        )
        assert any("is gekoppeld aan" in m for m in messages_of(response))
        # Groep 4b has no pupils or teacher: an empty set; the seat: one pupil.
        assert sets_of(registry, world.school_a) == {"reken-digi": 0, "reken-plus": 1}
    assert RegistrySchool.objects.get(school=world.school_a).dirty_since is None


def test_assigning_a_seat_and_changing_a_code_while_the_registry_is_down_then_the_sweep_catches_up(
    world, licences, client, registry
):
    login_as(client, world.coordinator_a)
    response = client.post(
        reverse("licence_assign_seat", args=[world.school_a.pk, licences.pupil_licence.pk]),
        {"groep": licences.group_4a.pk, "pupil": licences.pupils[2].pk},
        follow=True,
    )
    assert response.status_code == 200 and any("is gekoppeld aan" in m for m in messages_of(response))
    assert Seat.objects.filter(pupil=licences.pupils[2]).count() == 1
    group = licences.group_4a
    client.post(reverse("group_login_method", args=[world.school_a.pk, group.pk]), {"method": LoginMethod.PICTURES})
    pupil = licences.pupils[2]
    response = client.post(
        reverse("pupil_login_code", args=[world.school_a.pk, group.pk, pupil.pk]),
        {"plaatje1": "zon", "plaatje2": "maan", "plaatje3": "ster"},
        follow=True,
    )
    assert response.status_code == 200
    assert {s.pupil.pk: s.code for s in login_codes.codes_for_group(group)}[pupil.pk] == "zon-maan-ster"
    assert RegistrySchool.objects.get(school=world.school_a).dirty_since is not None

    # Ten minutes later (the sweep leaves alone what may still have a push on its way) ...
    RegistrySchool.objects.update(dirty_since=timezone.now() - dt.timedelta(minutes=11))
    assert tasks.sweep_registry() == 1, "the registry is still down: tried, still waiting"
    assert RegistrySchool.objects.get(school=world.school_a).dirty_since is not None
    with registry.back():
        # ... the beat's sweep sends it (run here eagerly: the push runs inside the call).
        tasks.sweep_registry()
        assert sets_of(registry, world.school_a) == {"reken-digi": 0, "reken-plus": 1}
    assert RegistrySchool.objects.get(school=world.school_a).dirty_since is None
