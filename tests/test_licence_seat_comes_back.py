"""A short absence undone: a pupil who is back at the school in the same school year gets back the
seats their departure freed, where a seat is free; otherwise Beheer home lists them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditAction, AuditEvent
from licenses.models import DepartedSeat, LicenceKind, Seat
from roster.models import Pupil, School, Staff
from roster.school_year import previous_school_year
from tests.factories import login_as, make_licence, make_product
from tests.roster_feed import group, import_feed, pupil, school, staff

pytestmark = pytest.mark.django_db
REGENBOOG = 500_271
ILSE = 700_271
SEM, NOOR = 1, 2  # Sem leaves for a while; Noor is new in his class meanwhile
CLASS = list(range(3, 41))


def regenboog(pupils):
    return school(
        REGENBOOG,
        groups=[group("G5", "Groep 5")],
        pupils=[pupil(pid, "G5", first={SEM: "Sem", NOOR: "Noor"}.get(pid, f"Kind{pid}")) for pid in pupils],
        staff=[staff(ILSE, ["ICTCoordinator"])],
    )


@pytest.fixture
def sem_left(tmp_path):
    """Sem held a seat of a licence with two seats, and left the school last night."""
    import_feed(tmp_path, [regenboog([SEM, *CLASS])])
    the_school = School.objects.get(basispoort_id=REGENBOOG)
    licence = make_licence(the_school, make_product(), kind=LicenceKind.PER_PUPIL, seats=2)
    sem = Pupil.objects.get(school=the_school, basispoort_id=SEM)
    Seat.objects.create(licence=licence, pupil=sem, school=the_school)
    import_feed(tmp_path, [regenboog(CLASS)])
    assert not Seat.objects.filter(pupil=sem).exists()
    return the_school, licence, sem


def test_the_seat_comes_back_when_the_pupil_does(sem_left, tmp_path):
    _school, licence, sem = sem_left
    import_feed(tmp_path, [regenboog([SEM, *CLASS])])
    assert Seat.objects.filter(licence=licence, pupil=sem).exists()
    event = AuditEvent.objects.get(action=AuditAction.RESTORE_SEAT)
    assert event.subject.startswith("Sem Visser")
    assert event.after == {"pupil": SEM, "licence": licence.pk, "reason": "terug in de administratie"}
    assert not DepartedSeat.objects.exists()


def test_without_a_free_seat_beheer_home_lists_who_did_not_get_it_back(sem_left, tmp_path, client):
    the_school, licence, sem = sem_left
    import_feed(tmp_path, [regenboog([NOOR, *CLASS])])
    noor = Pupil.objects.get(school=the_school, basispoort_id=NOOR)
    other = Pupil.objects.get(school=the_school, basispoort_id=CLASS[0])
    Seat.objects.create(licence=licence, pupil=noor, school=the_school)
    Seat.objects.create(licence=licence, pupil=other, school=the_school)  # both seats taken

    import_feed(tmp_path, [regenboog([SEM, NOOR, *CLASS])])
    assert not Seat.objects.filter(licence=licence, pupil=sem).exists()
    assert Seat.objects.filter(licence=licence).count() == 2
    assert DepartedSeat.objects.get(pupil=sem).no_room_at is not None
    assert not AuditEvent.objects.filter(action=AuditAction.RESTORE_SEAT).exists()

    login_as(client, Staff.objects.get(basispoort_id=ILSE))
    home = reverse("beheer_home", args=[the_school.pk])
    page = client.get(home).content.decode()
    assert "Terug in de administratie, maar zonder licentie" in page
    assert "Sem Visser – reken-digi" in page

    # The coordinator frees a seat and gives it to Sem: the notice is gone.
    Seat.objects.filter(pupil=other).delete()
    Seat.objects.create(licence=licence, pupil=sem, school=the_school)
    assert "Terug in de administratie, maar zonder licentie" not in client.get(home).content.decode()


def test_a_pupil_who_left_in_an_earlier_school_year_starts_afresh(sem_left, tmp_path):
    _school, _licence, sem = sem_left
    departed = DepartedSeat.objects.get(pupil=sem)
    departed.school_year = previous_school_year(departed.school_year)
    departed.save()
    import_feed(tmp_path, [regenboog([SEM, *CLASS])])
    assert not Seat.objects.filter(pupil=sem).exists()
    assert not DepartedSeat.objects.exists()
