"""The retention period is RETENTION_DAYS (or `purge_inactive --days`), counted to the day;
the nightly Celery task runs the same purge."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from roster import tasks
from roster.models import Appointment, Pupil, Staff
from roster.retention import purge_inactive
from tests.factories import make_pupil

pytestmark = pytest.mark.django_db


def gone_pupils(world, *days_ago: int) -> dict[int, Pupil]:
    now = timezone.now()
    return {
        days: make_pupil(world.school_a, None, "Weg", f"Kind{days}", active=False, left_at=now - dt.timedelta(days))
        for days in days_ago
    }


def remaining(pupils: dict[int, Pupil]) -> list[int]:
    return sorted(days for days, p in pupils.items() if Pupil.objects.filter(pk=p.pk).exists())


def test_the_setting_decides_how_long_a_pupil_who_left_is_kept(world, settings):
    settings.RETENTION_DAYS = 30
    pupils = gone_pupils(world, 29, 31, 400)
    assert purge_inactive().pupils == 2
    assert remaining(pupils) == [29]


def test_a_longer_setting_keeps_them(world, settings):
    settings.RETENTION_DAYS = 500
    pupils = gone_pupils(world, 29, 31, 400)
    assert purge_inactive().pupils == 0
    assert remaining(pupils) == [29, 31, 400]


def test_ended_appointments_follow_the_setting_too(world, settings):
    settings.RETENTION_DAYS = 10
    Appointment.objects.filter(staff=world.teacher_a).update(
        active=False, inactive_since=timezone.now() - dt.timedelta(days=11)
    )
    purged = purge_inactive()
    assert (purged.appointments, purged.staff) == (1, 1)
    assert not Staff.objects.filter(pk=world.teacher_a.pk).exists()


def test_the_command_days_option_overrides_the_setting(world, settings):
    settings.RETENTION_DAYS = 500
    pupils = gone_pupils(world, 29, 31, 400)
    out = StringIO()
    call_command("purge_inactive", "--days", "30", stdout=out)
    assert remaining(pupils) == [29]
    assert out.getvalue().startswith("Removed 2 pupils, 0 ended appointments, 0 staff.")


def test_the_nightly_task_purges_with_the_setting(world, settings):
    settings.RETENTION_DAYS = 30
    pupils = gone_pupils(world, 29, 31)
    result = tasks.purge_inactive_people.apply()
    assert result.successful(), result.traceback
    assert remaining(pupils) == [29]
