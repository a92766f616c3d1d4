"""Every change to licence links writes one audit row in the same transaction: who, what, before
and after — for the coordinator's four actions and for seats the import releases."""

from __future__ import annotations

import pytest

from audit.models import AuditAction, AuditEvent
from audit.records import IMPORT_ACTOR
from licenses import actions, leaver_actions
from licenses.models import GroupLink, Seat
from roster.access import actor_for_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(django_user_model):
    return django_user_model.objects.create(username="bp-ilse", first_name="Ilse", last_name="Bakker")


@pytest.fixture
def user(account):
    """The audit actor of this account (named as the roster names the person behind it)."""
    return actor_for_user(account)


def only_event() -> AuditEvent:
    events = list(AuditEvent.objects.all())
    assert len(events) == 1, events
    return events[0]


def test_linking_a_group_is_audited_with_the_group_after(world, licences, account, user):
    actions.link_groups(
        school=world.school_a, licence_id=licences.group_licence.pk, group_ids=[licences.group_4a.pk], actor=user
    )
    event = only_event()
    assert (event.action, event.school_id, event.licence_id) == (
        AuditAction.LINK_GROUP,
        world.school_a.pk,
        licences.group_licence.pk,
    )
    assert (event.actor_id, event.actor_label, event.before) == (account.pk, "Ilse Bakker", None)
    assert event.after == {"group": licences.group_4a.las_key, "group_name": "Groep 4a"}


def test_unlinking_a_group_is_audited_with_the_group_before(world, licences, user):
    GroupLink.objects.create(licence=licences.group_licence, group=licences.group_4a, school=world.school_a)
    actions.unlink_group(
        school=world.school_a, licence_id=licences.group_licence.pk, group_id=licences.group_4a.pk, actor=user
    )
    event = only_event()
    assert (event.action, event.actor_label, event.after) == (AuditAction.UNLINK_GROUP, "Ilse Bakker", None)
    assert event.before == {"group": licences.group_4a.las_key, "group_name": "Groep 4a"}
    assert event.subject.startswith("Groep 4a – ")
    # Unlinking again changes nothing and writes nothing.
    assert (
        actions.unlink_group(
            school=world.school_a, licence_id=licences.group_licence.pk, group_id=licences.group_4a.pk, actor=user
        )
        == actions.Outcome.ALREADY
    )
    assert AuditEvent.objects.count() == 1


def test_assigning_and_releasing_a_seat_are_audited(world, licences, user):
    pupil = licences.pupils[0]
    licence_id = licences.pupil_licence.pk
    actions.assign_seat(school=world.school_a, licence_id=licence_id, pupil_id=pupil.pk, actor=user)
    actions.release_seat(school=world.school_a, licence_id=licence_id, pupil_id=pupil.pk, actor=user)
    assign, release = AuditEvent.objects.order_by("pk")
    facts = {"pupil": pupil.basispoort_id, "pupil_name": pupil.full_name}
    assert (assign.action, assign.before, assign.after) == (AuditAction.ASSIGN_SEAT, None, facts)
    assert (release.action, release.before, release.after) == (AuditAction.RELEASE_SEAT, facts, None)
    assert {assign.actor_label, release.actor_label} == {"Ilse Bakker"}
    for event in (assign, release):
        assert (event.school_id, event.licence_id) == (world.school_a.pk, licence_id)
    assert not Seat.objects.exists()
    assert actions.release_seat(school=world.school_a, licence_id=licence_id, pupil_id=pupil.pk, actor=user) == (
        actions.Outcome.ALREADY
    )
    assert AuditEvent.objects.count() == 2


def test_seats_of_pupils_who_left_are_released_and_audited_as_the_import(world, licences):
    leaving, staying = licences.pupils[:2]
    for pupil in (leaving, staying):
        Seat.objects.create(licence=licences.pupil_licence, pupil=pupil, school=world.school_a)
    assert leaver_actions.release_seats_of_departed_pupils(world.school_a, [leaving.pk]) == 1
    event = only_event()
    assert (event.action, event.actor_id, event.actor_label) == (AuditAction.RELEASE_SEAT, None, IMPORT_ACTOR)
    assert event.before == {"pupil": leaving.basispoort_id, "licence": licences.pupil_licence.pk}
    assert list(Seat.objects.values_list("pupil_id", flat=True)) == [staying.pk]


def test_a_refused_change_writes_no_audit_row(world, licences, user):
    with pytest.raises(actions.LinkRefused):
        actions.link_groups(
            school=world.school_a,
            licence_id=licences.group_licence.pk,
            group_ids=[licences.other_school_group.pk],
            actor=user,
        )
    assert not AuditEvent.objects.exists() and not GroupLink.objects.exists()
