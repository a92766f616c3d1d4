"""Nieuw schooljaar: a proposal the coordinator leaves unticked is remembered as declined, and that
choice is a change like any other: one audit row per proposal, with the coordinator as actor and
in the same transaction; declining it again writes nothing more."""

from __future__ import annotations

import pytest

from audit.models import AuditAction, AuditEvent
from audit.records import Actor
from licenses.actions import apply_new_year
from licenses.models import DeclinedProposal
from licenses.new_year import build_plan
from tests.new_year_world import build_moved_world

pytestmark = pytest.mark.django_db

ILSE = Actor(user_id=None, label="Ilse Bakker")


@pytest.fixture
def moved(tmp_path):
    return build_moved_world(tmp_path)


def test_each_unticked_proposal_is_one_audit_row_by_the_coordinator(moved):
    keys = sorted(build_plan(moved.school).proposals())
    group_key = next(k for k in keys if k.startswith("g-"))
    pupil_key = next(k for k in keys if k.startswith("p-"))
    ticked = [k for k in keys if k not in (group_key, pupil_key)]

    applied = apply_new_year(school=moved.school, keys=ticked, actor=ILSE, shown=keys)

    assert applied.declined == 2
    rows = AuditEvent.objects.filter(action=AuditAction.PROPOSAL_DECLINED).order_by("pk")
    assert len(rows) == 2
    assert {row.actor_label for row in rows} == {"Ilse Bakker"}
    assert {row.licence_id for row in rows} == {int(group_key.split("-")[1]), int(pupil_key.split("-")[1])}
    assert all(row.school_id == moved.school.pk and "nieuw schooljaar" in row.subject for row in rows)
    group_row, pupil_row = sorted(rows, key=lambda row: "pupil" in row.after)
    assert group_row.after["group"] and group_row.after["reason"] == "nieuw schooljaar"
    # The pupil by Basispoort id, as every row about a pupil, so retention can pseudonymise it.
    pupil_pk = int(pupil_key.split("-")[2])
    assert pupil_row.after["pupil"] == moved.school.pupils.get(pk=pupil_pk).basispoort_id


def test_declining_what_is_declined_already_writes_nothing(moved):
    keys = sorted(build_plan(moved.school).proposals())
    left = next(k for k in keys if k.startswith("g-"))
    apply_new_year(school=moved.school, keys=[], actor=ILSE, shown=[left])
    assert AuditEvent.objects.filter(action=AuditAction.PROPOSAL_DECLINED).count() == 1

    again = apply_new_year(school=moved.school, keys=[], actor=ILSE, shown=[left])

    assert again.declined == 0
    assert AuditEvent.objects.filter(action=AuditAction.PROPOSAL_DECLINED).count() == 1
    assert DeclinedProposal.objects.filter(key=left).count() == 1
