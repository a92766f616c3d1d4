"""Rights come from the roster: whoever loses the ICTCoordinator role loses Beheer after the next import."""

from __future__ import annotations

import pytest
from django.urls import reverse

from roster.models import Appointment, School, Staff
from tests.factories import login_as
from tests.roster_feed import group, import_feed, pupil, school, staff

pytestmark = pytest.mark.django_db
SCHOOL = 500_201
COORDINATOR = 700_201


def test_a_coordinator_who_lost_the_role_no_longer_reaches_beheer(tmp_path, client, settings):
    settings.ROSTER_HOLD_ENABLED = False  # such a night is held (test_roster_hold_*.py); here: what applying it does
    groups = [group("G5")]
    teacher = staff(700_202, ["Leerkracht"], ["G5"])
    import_feed(
        tmp_path,
        [
            school(
                SCHOOL,
                groups=groups,
                pupils=[pupil(1, "G5")],
                staff=[teacher, staff(COORDINATOR, ["ICTCoordinator", "Leerkracht"])],
            )
        ],
    )
    school_pk = School.objects.get(basispoort_id=SCHOOL).pk
    login_as(client, Staff.objects.get(basispoort_id=COORDINATOR))
    assert client.get(reverse("beheer_home", args=[school_pk])).status_code == 200

    import_feed(
        tmp_path,
        [school(SCHOOL, groups=groups, pupils=[pupil(1, "G5")], staff=[teacher, staff(COORDINATOR, ["Leerkracht"])])],
    )
    assert client.get(reverse("beheer_home", args=[school_pk])).status_code == 404
    appointment = Appointment.objects.get(staff__basispoort_id=COORDINATOR)
    assert list(appointment.roles.values_list("role", flat=True)) == ["Leerkracht"]


def test_a_coordinator_who_left_the_school_keeps_their_history_but_not_beheer(tmp_path, client, settings):
    settings.ROSTER_HOLD_ENABLED = False  # such a night is held (test_roster_hold_*.py); here: what applying it does
    groups = [group("G5")]
    teacher = staff(700_202, ["Leerkracht"], ["G5"])
    import_feed(
        tmp_path,
        [
            school(
                SCHOOL, groups=groups, pupils=[pupil(1, "G5")], staff=[teacher, staff(COORDINATOR, ["ICTCoordinator"])]
            )
        ],
    )
    school_pk = School.objects.get(basispoort_id=SCHOOL).pk
    import_feed(tmp_path, [school(SCHOOL, groups=groups, pupils=[pupil(1, "G5")], staff=[teacher])])

    appointment = Appointment.objects.get(staff__basispoort_id=COORDINATOR)
    assert not appointment.active
    login_as(client, appointment.staff)
    assert client.get(reverse("beheer_home", args=[school_pk])).status_code == 404
