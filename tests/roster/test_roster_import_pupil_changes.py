"""Pupils who move, leave or arrive: movers keep their seats, leavers lose them (audited), nobody is deleted."""

from __future__ import annotations

import pytest

from audit.models import AuditAction, AuditEvent
from audit.records import IMPORT_ACTOR
from licenses.models import LicenceKind, Seat
from roster.models import Pupil, SchoolImportResult
from tests.factories import make_licence, make_product
from tests.roster_feed import group, import_feed, pupil, school, staff

pytestmark = pytest.mark.django_db
SCHOOL = 500_001
GROUPS = [group("G5", "Groep 5"), group("G6", "Groep 6", "6")]
TEACHERS = [staff(700_001, ["Leerkracht"], ["G5"]), staff(700_002, ["Leerkracht"], ["G6"])]


def first_night(tmp_path):
    docs = [school(SCHOOL, groups=GROUPS, staff=TEACHERS, pupils=[pupil(1, "G5"), pupil(2, "G5", "Daan", "Bos")])]
    import_feed(tmp_path, docs)
    emma = Pupil.objects.get(basispoort_id=1)
    licence = make_licence(emma.school, make_product(), kind=LicenceKind.PER_PUPIL, seats=5)
    Seat.objects.create(licence=licence, pupil=emma, school=emma.school)
    Seat.objects.create(licence=licence, pupil=Pupil.objects.get(basispoort_id=2), school=emma.school)
    return licence


def test_a_pupil_who_moved_group_keeps_their_seat(tmp_path):
    licence = first_night(tmp_path)
    import_feed(
        tmp_path,
        [school(SCHOOL, groups=GROUPS, staff=TEACHERS, pupils=[pupil(1, "G6"), pupil(2, "G5", "Daan", "Bos")])],
    )
    emma = Pupil.objects.get(basispoort_id=1)
    assert emma.group.las_key == "G6"
    assert Seat.objects.filter(licence=licence, pupil=emma).exists()
    assert SchoolImportResult.objects.first().moved_pupils == 1


def test_a_pupil_who_left_is_deactivated_and_loses_their_seat_audited_as_the_import(tmp_path):
    licence = first_night(tmp_path)
    import_feed(tmp_path, [school(SCHOOL, groups=GROUPS, staff=TEACHERS, pupils=[pupil(1, "G5")])])

    daan = Pupil.objects.get(basispoort_id=2)
    assert not daan.active
    assert daan.left_at is not None
    assert not Seat.objects.filter(pupil=daan).exists()
    assert Seat.objects.filter(licence=licence, pupil__basispoort_id=1).exists()
    event = AuditEvent.objects.get(action=AuditAction.RELEASE_SEAT)
    assert event.actor_label == IMPORT_ACTOR
    assert event.before == {"pupil": 2, "licence": licence.pk}
    result = SchoolImportResult.objects.first()
    assert result.deactivated["pupil"] == 1
    assert result.deactivated["seat"] == 1


def test_a_new_pupil_is_created_in_their_group(tmp_path):
    first_night(tmp_path)
    import_feed(
        tmp_path,
        [
            school(
                SCHOOL,
                groups=GROUPS,
                staff=TEACHERS,
                pupils=[pupil(1, "G5"), pupil(2, "G5", "Daan", "Bos"), pupil(3, "G6", "Noor", "Smit")],
            )
        ],
    )
    noor = Pupil.objects.get(basispoort_id=3)
    assert (noor.first_name, noor.group.las_key, noor.active) == ("Noor", "G6", True)
    assert SchoolImportResult.objects.first().created == {"pupil": 1, "login_code": 1}


def test_a_pupil_who_comes_back_is_active_again_with_the_same_row(tmp_path):
    first_night(tmp_path)
    import_feed(tmp_path, [school(SCHOOL, groups=GROUPS, staff=TEACHERS, pupils=[pupil(1, "G5")])])
    row = Pupil.objects.get(basispoort_id=2).pk
    import_feed(
        tmp_path,
        [school(SCHOOL, groups=GROUPS, staff=TEACHERS, pupils=[pupil(1, "G5"), pupil(2, "G5", "Daan", "Bos")])],
    )
    daan = Pupil.objects.get(basispoort_id=2)
    assert (daan.pk, daan.active, daan.left_at) == (row, True, None)
