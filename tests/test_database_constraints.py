"""The database itself refuses what must never be stored (PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from licenses.models import GroupLink, LicenceKind, Seat
from roster.models import Appointment, Group, Pupil, School
from tests.factories import appoint, make_group, make_licence, make_product, make_pupil, make_school, make_staff

pytestmark = pytest.mark.django_db


def refused(make) -> bool:
    """True when the database refuses the write, also for deferred (commit-time) constraints."""
    try:
        with transaction.atomic():
            make()
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    except IntegrityError:
        return True
    return False


@pytest.fixture
def two_schools():
    return make_school("A", "11AA"), make_school("B", "22BB")


def test_database_is_postgresql():
    assert connection.vendor == "postgresql"


def test_school_basispoort_id_is_unique(two_schools):
    a, _ = two_schools
    assert refused(lambda: School.objects.create(basispoort_id=a.basispoort_id, name="Dubbel"))


def test_group_las_key_unique_per_school_but_not_across(two_schools):
    a, b = two_schools
    make_group(a, las_key="G1")
    assert refused(lambda: Group.objects.create(school=a, las_key="G1", name="Dubbel"))
    assert not refused(lambda: Group.objects.create(school=b, las_key="G1", name="Elders"))


def test_pupil_basispoort_id_unique_per_school(two_schools):
    a, b = two_schools
    make_pupil(a, basispoort_id=42)
    assert refused(lambda: Pupil.objects.create(school=a, basispoort_id=42))
    assert not refused(lambda: Pupil.objects.create(school=b, basispoort_id=42))


def test_appointment_unique_per_school_and_las_key(two_schools):
    a, _ = two_schools
    anna, bert = make_staff("Anna", "Smit"), make_staff("Bert", "Kok")
    appoint(anna, a, las_key="M1")
    assert refused(lambda: Appointment.objects.create(staff=anna, school=a))
    assert refused(lambda: Appointment.objects.create(staff=bert, school=a, las_key="M1"))
    # An empty key is "no key", which many staff may share.
    carla = make_staff("Carla", "Mol")
    assert not refused(lambda: appoint(bert, a, las_key=""))
    assert not refused(lambda: appoint(carla, a, las_key=""))
    assert Appointment.objects.filter(school=a, las_key="").count() == 2


def test_pupil_main_group_must_be_of_the_same_school(two_schools):
    a, b = two_schools
    group_b = make_group(b)
    assert refused(lambda: make_pupil(a, group=group_b))


def test_seats_are_never_negative(two_schools):
    a, _ = two_schools
    product = make_product()
    assert refused(lambda: make_licence(a, product, LicenceKind.PER_PUPIL, seats=-1))


def test_seat_count_only_and_always_on_per_pupil_licences(two_schools):
    a, _ = two_schools
    product = make_product()
    assert refused(lambda: make_licence(a, product, LicenceKind.PER_GROUP, seats=5))
    assert refused(lambda: make_licence(a, product, LicenceKind.PER_PUPIL, seats=None))


def test_group_link_is_unique(two_schools):
    a, _ = two_schools
    licence = make_licence(a, make_product())
    group = make_group(a)
    GroupLink.objects.create(licence=licence, group=group, school=a)
    assert refused(lambda: GroupLink.objects.create(licence=licence, group=group, school=a))


def test_seat_is_unique(two_schools):
    a, _ = two_schools
    licence = make_licence(a, make_product(), LicenceKind.PER_PUPIL, seats=3)
    pupil = make_pupil(a)
    Seat.objects.create(licence=licence, pupil=pupil, school=a)
    assert refused(lambda: Seat.objects.create(licence=licence, pupil=pupil, school=a))


def test_seat_only_on_a_per_pupil_licence(two_schools):
    a, _ = two_schools
    group_licence = make_licence(a, make_product())
    pupil = make_pupil(a)
    assert refused(lambda: Seat.objects.create(licence=group_licence, pupil=pupil, school=a))


def test_group_link_only_on_a_per_group_licence(two_schools):
    a, _ = two_schools
    pupil_licence = make_licence(a, make_product(), LicenceKind.PER_PUPIL, seats=3)
    group = make_group(a)
    assert refused(lambda: GroupLink.objects.create(licence=pupil_licence, group=group, school=a))


def test_group_link_stays_within_one_school(two_schools):
    a, b = two_schools
    licence_a = make_licence(a, make_product())
    group_b = make_group(b)
    assert refused(lambda: GroupLink.objects.create(licence=licence_a, group=group_b, school=a))
    assert refused(lambda: GroupLink.objects.create(licence=licence_a, group=group_b, school=b))


def test_seat_stays_within_one_school(two_schools):
    a, b = two_schools
    licence_a = make_licence(a, make_product(), LicenceKind.PER_PUPIL, seats=3)
    pupil_b = make_pupil(b)
    assert refused(lambda: Seat.objects.create(licence=licence_a, pupil=pupil_b, school=a))
    assert refused(lambda: Seat.objects.create(licence=licence_a, pupil=pupil_b, school=b))


def test_school_year_is_well_formed(two_schools):
    a, _ = two_schools
    assert refused(lambda: make_licence(a, make_product(), school_year="26/27"))
