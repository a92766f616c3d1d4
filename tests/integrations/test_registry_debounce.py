"""Through a real Celery worker on Redis: many clicks make one push, a failed push is retried with backoff."""

from __future__ import annotations

import time

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from celery.signals import task_prerun
from django.conf import settings as django_settings

from bingel_admin.celery import app
from demo.reference_registry import ERROR_503, TOO_MANY
from integrations.models import RegistrySchool
from integrations.tasks import registry_backoff
from licenses import actions
from roster.models import Role
from tests.factories import appoint, make_group, make_licence, make_product, make_pupil, make_school, make_staff

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs Redis (REDIS_URL)"),
]


@pytest.fixture
def worker(registry_settings, settings):
    settings.LICENCE_REGISTRY_DEBOUNCE_SECONDS = 1
    redis.Redis.from_url(django_settings.REDIS_URL).delete("celery")
    assert not app.conf.task_always_eager
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield registry_settings


def school_with_groups():
    school = make_school("De Linde", "45EF", dependancecode="00")
    groups = [make_group(school, f"Groep {n}", str(n)) for n in (4, 5, 6)]
    for group in groups:
        make_pupil(school, group)
        appoint(make_staff("Juf", f"Groep{group.jaargroep}"), school, Role.TEACHER, groups=[group])
    return school, groups, make_licence(school, make_product("reken-5"))


def wait_until_quiet(school, seconds: float = 30) -> RegistrySchool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = RegistrySchool.objects.filter(school=school).first()
        if state and not state.queued and state.dirty_since is None and state.last_success_at:
            return state
        time.sleep(0.1)
    raise AssertionError("the push did not finish")


def puts(registry) -> list[int]:
    return [status for method, _, status in registry.log if method == "PUT"]


@pytest.fixture
def pushes():
    """The push tasks the worker ran."""
    ran: list[tuple] = []

    def count(sender=None, args=None, **kwargs):
        if sender.name == "integrations.tasks.push_registry_school":
            ran.append(tuple(args))

    task_prerun.connect(count, weak=False)
    yield ran
    task_prerun.disconnect(count)


def test_many_clicks_in_a_row_make_one_push_with_the_last_state(worker, pushes):
    school, groups, licence = school_with_groups()
    for group in groups:
        actions.link_groups(school=school, licence_id=licence.pk, group_ids=[group.pk], actor=None)
    actions.unlink_group(school=school, licence_id=licence.pk, group_id=groups[0].pk, actor=None)
    wait_until_quiet(school)
    assert pushes == [(school.pk,)]
    assert puts(worker) == [200]
    expected = {p.basispoort_id for g in groups[1:] for p in g.pupils.all()} | {
        t.staff.basispoort_id for g in groups[1:] for t in g.teachers.all()
    }
    assert worker.sets()[(school.basispoort_id, "reken-5")] == expected


def test_a_failing_registry_is_retried_until_the_set_is_stored(worker):
    worker.script.extend([ERROR_503, TOO_MANY])
    school, groups, licence = school_with_groups()
    actions.link_groups(school=school, licence_id=licence.pk, group_ids=[groups[0].pk], actor=None)
    state = wait_until_quiet(school)
    assert puts(worker) == [503, 429, 200]
    assert state.attempts == 0 and state.last_error == ""


def test_the_backoff_doubles_and_is_capped(settings):
    settings.LICENCE_REGISTRY_RETRY_BASE_SECONDS = 10
    delays = [registry_backoff(n) for n in range(10)]
    assert 8 <= delays[0] <= 12 and 16 <= delays[1] <= 24 and 32 <= delays[2] <= 48
    assert max(delays) <= 900 * 1.2
