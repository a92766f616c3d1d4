"""Retention (AVG): people gone longer than the retention period are removed; audit rows keep pseudonyms."""

from __future__ import annotations

import datetime as dt

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditEvent
from licenses import actions
from licenses.models import Seat
from roster.models import Appointment, Pupil, Staff
from roster.retention import pseudonym, purge_inactive
from tests.factories import make_pupil

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def test_a_pupil_gone_longer_than_the_period_is_removed_and_audit_keeps_a_pseudonym(world, licences, settings):
    settings.RETENTION_DAYS = 365
    pupil = licences.pupils[0]
    actions.assign_seat(school=world.school_a, licence_id=licences.pupil_licence.pk, pupil_id=pupil.pk, actor=None)
    Pupil.objects.filter(pk=pupil.pk).update(active=False, left_at=NOW - dt.timedelta(days=400))
    recent = licences.pupils[1]
    Pupil.objects.filter(pk=recent.pk).update(active=False, left_at=NOW - dt.timedelta(days=30))

    purged = purge_inactive(now=NOW)

    assert purged.pupils == 1
    assert not Pupil.objects.filter(pk=pupil.pk).exists()
    assert not Seat.objects.filter(pupil_id=pupil.pk).exists()
    assert Pupil.objects.filter(pk=recent.pk).exists(), "within the period: kept"
    event = AuditEvent.objects.get()
    alias = pseudonym("leerling", pupil.basispoort_id)
    assert pupil.full_name not in f"{event.subject} {event.before} {event.after}"
    assert str(pupil.basispoort_id) not in f"{event.before} {event.after}"
    assert event.subject.startswith(alias) and event.after["pupil"] == alias


def test_staff_whose_last_appointment_ended_long_ago_is_forgotten(world, settings):
    settings.RETENTION_DAYS = 365
    teacher = world.teacher_a
    user = get_user_model().objects.create(username="mark")
    SocialAccount.objects.create(user=user, provider="basispoort", uid=str(teacher.basispoort_id))
    AuditEvent.objects.create(
        action="link_group", subject="Groep 5", school=world.school_a, actor=user, actor_label="Mark Jansen"
    )
    Appointment.objects.filter(staff=teacher).update(active=False, inactive_since=NOW - dt.timedelta(days=500))
    both = world.coordinator_ab
    Appointment.objects.filter(staff=both, school=world.school_b).update(
        active=False, inactive_since=NOW - dt.timedelta(days=500)
    )

    purged = purge_inactive(now=NOW)

    assert purged.staff == 1 and purged.appointments == 2
    assert not Staff.objects.filter(pk=teacher.pk).exists()
    assert not get_user_model().objects.filter(pk=user.pk).exists()
    assert AuditEvent.objects.get().actor_label == pseudonym("medewerker", teacher.basispoort_id)
    assert Staff.objects.filter(pk=both.pk).exists(), "still works at school A"


def test_the_command_and_an_idle_run(world):
    make_pupil(world.school_a, None, "Weg", "Kind", active=False, left_at=NOW - dt.timedelta(days=2000))
    call_command("purge_inactive")
    assert not Pupil.objects.filter(first_name="Weg").exists()
    assert purge_inactive(now=NOW).pupils == 0


def test_the_import_records_when_an_appointment_ended(tmp_path):
    from tests.roster_feed import group, import_feed, pupil, school, staff

    teacher = staff(700_001, ["Leerkracht"], ["G5"])
    colleague = staff(700_002, ["Leerkracht"], ["G5"])  # one of two leaving is no glitch (roster/holds.py)
    import_feed(tmp_path, [school(500_777, groups=[group("G5")], staff=[teacher, colleague], pupils=[pupil(1, "G5")])])
    import_feed(tmp_path, [school(500_777, groups=[group("G5")], staff=[colleague], pupils=[pupil(1, "G5")])])
    appointment = Appointment.objects.get(staff__basispoort_id=700_001)
    assert not appointment.active and appointment.inactive_since is not None


def test_old_import_reports_are_removed(tmp_path):
    from roster.models import ImportRun
    from tests.roster_feed import group, import_feed, pupil, school

    import_feed(tmp_path, [school(500_778, groups=[group("G5")], pupils=[pupil(1, "G5")])])
    ImportRun.objects.update(started_at=NOW - dt.timedelta(days=400))
    assert purge_inactive(now=NOW).import_runs == 1
    assert not ImportRun.objects.exists()


def test_only_the_purged_pupils_own_audit_rows_are_rewritten(world, settings):
    from audit.models import AuditAction

    gone = make_pupil(
        world.school_a, None, "Weg", "Kind", basispoort_id=4242, active=False, left_at=NOW - dt.timedelta(days=400)
    )
    make_pupil(world.school_c, None, "Blijft", "Kind", basispoort_id=4242)
    for school, name in ((world.school_a, "Weg Kind"), (world.school_c, "Blijft Kind")):
        AuditEvent.objects.create(
            action=AuditAction.ASSIGN_SEAT,
            subject=f"{name} – Product",
            school=school,
            actor_label="x",
            after={"pupil": 4242, "pupil_name": name},
        )
    purge_inactive(now=NOW)
    assert not Pupil.objects.filter(pk=gone.pk).exists()
    assert AuditEvent.objects.get(school=world.school_a).after == {"pupil": pseudonym("leerling", 4242)}
    assert AuditEvent.objects.get(school=world.school_c).after["pupil_name"] == "Blijft Kind"
