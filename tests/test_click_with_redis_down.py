"""By day, with Redis down (the Celery broker and the page cache): Sanne's clicks are saved and said
so, the pages still show, and once Redis is back the sweep and the export job catch up.

Redis is a redis-server of this test's own (port 17220) that it stops and starts again; a real
Celery worker then runs the caught-up pushes and key checks against the reference registry/LVS.
"""

from __future__ import annotations

import datetime as dt

import pytest
from celery.contrib.testing.worker import start_worker
from django.urls import reverse
from django.utils import timezone

from bingel_admin.celery import app
from integrations import tasks
from integrations.models import LinkStatus, RegistrySchool, ResultLink
from licenses.models import GroupLink, Seat
from roster import login_codes
from roster.models import LoginMethod
from tests.factories import login_as
from tests.fault_servers import celery_broker, own_redis
from tests.lvs_helpers import LVS_KEY

pytestmark = pytest.mark.django_db(transaction=True)

PORT = 17220


@pytest.fixture
def redis_down(settings, registry_settings, tmp_path, monkeypatch):
    """Our own Redis as broker and page cache, already stopped when the test begins."""
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    settings.LICENCE_REGISTRY_DEBOUNCE_SECONDS = 0
    with own_redis(PORT, tmp_path) as server, celery_broker(server.url):
        settings.CACHES = {
            **settings.CACHES,
            "pages": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": server.url},
        }
        server.stop()
        yield server


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def users_in_registry(registry, school) -> dict[str, int]:
    return {
        code: len(entry.body["gebruikers"])
        for (inst, code), entry in registry.entries.items()
        if inst == school.basispoort_id and entry.body
    }


def test_sanne_links_assigns_changes_a_code_and_a_key_with_redis_down_and_it_all_catches_up(
    world, licences, client, redis_down, registry_settings, momento
):
    login_as(client, world.coordinator_a)  # Sanne
    school = world.school_a
    response = client.post(
        reverse("licence_link_groups", args=[school.pk, licences.group_licence.pk]),
        {"group": licences.group_4a.pk},
        follow=True,
    )
    assert response.status_code == 200, "the licence page shows without its cache"
    assert any("is gekoppeld aan Groep 4a" in m for m in messages_of(response))
    response = client.post(
        reverse("licence_assign_seat", args=[school.pk, licences.pupil_licence.pk]),
        {"groep": licences.group_4a.pk, "pupil": licences.pupils[3].pk},
        follow=True,
    )
    assert response.status_code == 200 and any("is gekoppeld aan" in m for m in messages_of(response))
    group = licences.group_4a
    client.post(reverse("group_login_method", args=[school.pk, group.pk]), {"method": LoginMethod.PICTURES})
    pupil = licences.pupils[3]
    response = client.post(
        reverse("pupil_login_code", args=[school.pk, group.pk, pupil.pk]),
        {"plaatje1": "zon", "plaatje2": "maan", "plaatje3": "ster"},
        follow=True,
    )
    assert response.status_code == 200
    response = client.post(
        reverse("resultlink_add", kwargs={"school_id": school.pk}),
        {"supplier": momento.pk, "key": LVS_KEY},
        follow=True,
    )
    assert response.status_code == 200 and "Wordt gecontroleerd…" in response.content.decode()

    assert GroupLink.objects.filter(group=group).count() == 1 and Seat.objects.filter(pupil=pupil).count() == 1
    assert {s.pupil.pk: s.code for s in login_codes.codes_for_group(group)}[pupil.pk] == "zon-maan-ster"
    link = ResultLink.objects.get(school=school)
    assert link.status == LinkStatus.CHECKING
    state = RegistrySchool.objects.get(school=school)
    assert state.dirty_since is not None and not state.queued, "waiting, and known not to be queued"
    assert users_in_registry(registry_settings, school) == {}

    redis_down.start()
    # Ten minutes on, the beat's sweep and the export job queue what waited; a worker runs it.
    RegistrySchool.objects.update(dirty_since=timezone.now() - dt.timedelta(minutes=11))
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        assert tasks.sweep_registry.delay() is not None
        tasks.export_results.delay()
        deadline = timezone.now() + dt.timedelta(seconds=30)
        while timezone.now() < deadline:
            link.refresh_from_db()
            pushed = users_in_registry(registry_settings, school)
            if link.status != LinkStatus.CHECKING and pushed.get("reken-plus") == 1:
                break
    assert link.status == LinkStatus.ACTIVE
    assert users_in_registry(registry_settings, school) == {"reken-digi": 8, "reken-plus": 1}
    assert RegistrySchool.objects.get(school=school).dirty_since is None
