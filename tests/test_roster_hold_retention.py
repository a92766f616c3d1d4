"""Held nights quote children's names in what would change: the retention purge removes them
after RETENTION_DAYS, as it removes old import reports."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from roster.models import HeldNight, HoldReason
from roster.retention import purge_inactive
from tests.factories import make_school

pytestmark = pytest.mark.django_db


def test_held_nights_older_than_the_retention_period_are_removed(settings):
    settings.RETENTION_DAYS = 30
    now = timezone.now()
    school = make_school("De Regenboog")
    summary = {"leaving": [{"name": "Sem Visser", "group": "Groep 5", "seats": []}]}
    old = HeldNight.objects.create(
        school=school,
        held_at=now - dt.timedelta(days=31),
        reasons=[HoldReason.PUPILS_LEAVING],
        summary=summary,
        decided_at=now - dt.timedelta(days=31),
        decision="discarded",
    )
    recent = HeldNight.objects.create(
        school=school, held_at=now - dt.timedelta(days=29), reasons=[HoldReason.PUPILS_LEAVING], summary=summary
    )
    assert purge_inactive(now=now).held_nights == 1
    assert not HeldNight.objects.filter(pk=old.pk).exists()
    assert HeldNight.objects.filter(pk=recent.pk).exists()
