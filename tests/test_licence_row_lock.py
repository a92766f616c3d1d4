"""Every licence action first takes the licence row lock: while another transaction holds it,
the action waits (here: gives up after a short lock_timeout) and changes nothing.

The race itself (24 requests for 5 seats) is tests/test_licence_seat_race.py; this checks the
lock directly, for each of the four actions."""

from __future__ import annotations

import psycopg
import pytest
from django.db import OperationalError, connection

from licenses import actions
from licenses.models import AuditEvent, GroupLink, Seat

pytestmark = pytest.mark.django_db(transaction=True)


def other_session_holds_the_row_lock(licence_id: int) -> psycopg.Connection:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    other = psycopg.connect(**params)
    other.execute("SELECT 1 FROM licenses_licence WHERE id = %s FOR UPDATE", [licence_id])
    return other


def call(name: str, world, licences):
    school, seat_licence, group_licence = world.school_a, licences.pupil_licence.pk, licences.group_licence.pk
    pupil, group = licences.pupils[0].pk, licences.group_4a.pk
    return {
        "assign_seat": lambda: actions.assign_seat(school=school, licence_id=seat_licence, pupil_id=pupil, actor=None),
        "release_seat": lambda: actions.release_seat(school=school, licence_id=seat_licence, pupil_id=pupil, actor=None),
        "link_groups": lambda: actions.link_groups(school=school, licence_id=group_licence, group_ids=[group], actor=None),
        "unlink_group": lambda: actions.unlink_group(school=school, licence_id=group_licence, group_id=group, actor=None),
    }[name]


@pytest.mark.parametrize(
    ("action", "licence_attr", "setup"),
    [
        ("assign_seat", "pupil_licence", None),
        ("release_seat", "pupil_licence", "assign_seat"),
        ("link_groups", "group_licence", None),
        ("unlink_group", "group_licence", "link_groups"),
    ],
)
def test_an_action_waits_for_the_licence_row_lock(world, licences, action, licence_attr, setup):
    if setup:
        call(setup, world, licences)()
    before = (GroupLink.objects.count(), Seat.objects.count(), AuditEvent.objects.count())
    other = other_session_holds_the_row_lock(getattr(licences, licence_attr).pk)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '300ms'")
        with pytest.raises(OperationalError, match="lock timeout"):
            call(action, world, licences)()
        assert (GroupLink.objects.count(), Seat.objects.count(), AuditEvent.objects.count()) == before
    finally:
        other.rollback()
        other.close()
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
    call(action, world, licences)()  # once the lock is free, the action goes through and is audited
    assert AuditEvent.objects.count() == before[2] + 1
