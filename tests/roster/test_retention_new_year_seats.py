"""Retention (AVG) also reaches the audit rows of seats that "Nieuw schooljaar" linked: they name
the pupil by Basispoort id like every other row about a pupil, so removing a pupil gone longer
than the retention period leaves only a pseudonym in them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from audit.models import AuditAction, AuditEvent
from licenses.actions import apply_new_year
from licenses.new_year import build_plan
from roster.models import Pupil
from roster.retention import pseudonym, purge_inactive
from tests.new_year_world import build_moved_world

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def test_a_seat_linked_by_nieuw_schooljaar_keeps_only_a_pseudonym(tmp_path, settings):
    settings.RETENTION_DAYS = 365
    moved = build_moved_world(tmp_path)
    keys = sorted(build_plan(moved.school).proposals())
    pupil_key = next(k for k in keys if k.startswith("p-"))
    apply_new_year(school=moved.school, keys=[pupil_key], actor=None)
    pupil = Pupil.objects.get(pk=int(pupil_key.split("-")[2]))
    event = AuditEvent.objects.get(action=AuditAction.ASSIGN_SEAT, after__reason="nieuw schooljaar")
    name = event.after["pupil_name"]  # as the page lists it: "last name, first name"
    assert pupil.last_name in name and event.subject.startswith(name)

    Pupil.objects.filter(pk=pupil.pk).update(active=False, left_at=NOW - dt.timedelta(days=400))
    purge_inactive(now=NOW)

    event.refresh_from_db()
    alias = pseudonym("leerling", pupil.basispoort_id)
    assert pupil.last_name not in f"{event.subject} {event.after}"
    assert str(pupil.basispoort_id) not in str(event.after)
    assert event.subject.startswith(alias) and event.after["pupil"] == alias
    assert event.after["reason"] == "nieuw schooljaar"
