"""Every licence action first takes the licence row lock: while another transaction holds it,
the action waits (here: gives up after a short lock_timeout) and changes nothing.

The race itself (24 requests for 5 seats) is tests/licenses/test_licence_seat_race.py; this checks the
lock directly, for each of the four actions."""

from __future__ import annotations

import psycopg
import pytest
from django.db import OperationalError, connection

from audit.models import AuditEvent
from licenses import actions
from licenses.models import GroupLink, Seat

pytestmark = pytest.mark.django_db(transaction=True)


def other_session_holds_the_row_lock(licence_id: int) -> psycopg.Connection:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    other = psycopg.connect(**params)
    other.execute("SELECT 1 FROM licenses_licence WHERE id = %s FOR UPDATE", [licence_id])
    return other


def call(name: str, world, licences):
    seats = {"school": world.school_a, "licence_id": licences.pupil_licence.pk, "actor": None}
    groups = {"school": world.school_a, "licence_id": licences.group_licence.pk, "actor": None}
    pupil, group = licences.pupils[0].pk, licences.group_4a.pk
    return {
        "assign_seat": lambda: actions.assign_seat(**seats, pupil_id=pupil),
        "release_seat": lambda: actions.release_seat(**seats, pupil_id=pupil),
        "link_groups": lambda: actions.link_groups(**groups, group_ids=[group]),
        "unlink_group": lambda: actions.unlink_group(**groups, group_id=group),
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
