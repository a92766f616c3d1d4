"""``roster.access.coordinated_schools``: the schools where a person is ict-coördinator today, by
the same conditions as Beheer — each broken on its own (tests/my_schools_world.py's board)."""

from __future__ import annotations

import datetime as dt

import pytest

from roster.access import coordinated_schools
from roster.models import AppointmentRole, Role

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 7)


def names(board, today=TODAY) -> list[str]:
    return [school.name for school in coordinated_schools(board.coordinator_of_three.basispoort_id, today)]


def test_the_three_schools_by_name(board):
    assert names(board) == sorted(school.name for school in board.mine)


def test_the_end_date_is_the_last_day_with_rights(board):
    board.coordinator_of_three.appointments.filter(school=board.schools[0]).update(end_date=TODAY)
    assert board.schools[0].name in names(board)
    board.coordinator_of_three.appointments.filter(school=board.schools[0]).update(
        end_date=TODAY - dt.timedelta(days=1)
    )
    assert board.schools[0].name not in names(board)


def test_a_closed_school_an_inactive_appointment_and_another_role_give_nothing(board):
    board.schools[0].active = False
    board.schools[0].save()
    board.coordinator_of_three.appointments.filter(school=board.schools[1]).update(active=False)
    AppointmentRole.objects.filter(
        appointment__school=board.schools[2], appointment__staff=board.coordinator_of_three
    ).update(role=Role.TEACHER)
    assert names(board) == []


def test_nobody_has_no_schools(board):
    assert coordinated_schools(None) == []
    assert coordinated_schools(123_456_789, TODAY) == []
