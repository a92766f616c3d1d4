"""The nightly reconciliation waits for the roster import; the sweep re-queues schools that wait too long."""

from __future__ import annotations

import datetime as dt

import pytest
import redis
from celery.exceptions import Retry
from django.conf import settings as django_settings
from django.utils import timezone

from bingel_admin.celery import app
from integrations import tasks
from integrations.models import RegistrySchool
from roster import tasks as roster_tasks

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs Redis (REDIS_URL)"),
]


def test_the_beat_schedule_reconciles_after_the_import_and_sweeps():
    schedule = django_settings.CELERY_BEAT_SCHEDULE
    reconcile = schedule["licence-registry-reconcile"]
    assert reconcile["task"] == "integrations.tasks.reconcile_registry"
    import_at = schedule["nightly-roster-import"]["schedule"]
    assert min(reconcile["schedule"].hour) > min(import_at.hour)
    assert schedule["licence-registry-sweep"]["task"] == "integrations.tasks.sweep_registry"


def test_reconciliation_waits_while_the_import_holds_its_lock(registry_settings, monkeypatch):
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    client.set(roster_tasks.LOCK_KEY, "run-1", ex=60)
    monkeypatch.setitem(app.conf, "task_always_eager", True)
    try:
        with pytest.raises(Retry):
            tasks.reconcile_registry.apply(throw=True)
        assert registry_settings.log == []
    finally:
        client.delete(roster_tasks.LOCK_KEY)


def test_the_sweep_requeues_only_schools_waiting_long_without_a_planned_retry(world, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.push_registry_school, "apply_async", lambda args, **kw: queued.append(args[0]))
    now = timezone.now()
    long_ago = now - dt.timedelta(minutes=30)
    RegistrySchool.objects.create(school=world.school_a, dirty_since=long_ago)
    RegistrySchool.objects.create(
        school=world.school_b, dirty_since=long_ago, next_attempt_at=now + dt.timedelta(minutes=5)
    )
    RegistrySchool.objects.create(school=world.school_c, dirty_since=now)
    assert tasks.sweep_registry() == 1
    assert queued == [world.school_a.pk]
