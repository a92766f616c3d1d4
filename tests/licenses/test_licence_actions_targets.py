"""The licence actions change exactly the licence and school they are given: with two licences
of the same kind, or a licence of another school, nothing else is touched."""

from __future__ import annotations

import pytest

from licenses import actions
from licenses.models import GroupLink, LicenceKind, Seat
from tests.factories import make_licence, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_seat_licence(world, licences):
    return make_licence(world.school_a, make_product("taal-plus"), LicenceKind.PER_PUPIL, seats=5)


def test_a_seat_goes_on_the_licence_asked_for(world, licences, second_seat_licence):
    pupil = licences.pupils[0]
    actions.assign_seat(school=world.school_a, licence_id=second_seat_licence.pk, pupil_id=pupil.pk, actor=None)
    assert list(Seat.objects.values_list("licence_id", "pupil_id")) == [(second_seat_licence.pk, pupil.pk)]


def test_releasing_one_licence_keeps_the_pupils_seat_on_another(world, licences, second_seat_licence):
    pupil = licences.pupils[0]
    for licence in (licences.pupil_licence, second_seat_licence):
        Seat.objects.create(licence=licence, pupil=pupil, school=world.school_a)
    actions.release_seat(school=world.school_a, licence_id=second_seat_licence.pk, pupil_id=pupil.pk, actor=None)
    assert list(Seat.objects.values_list("licence_id", flat=True)) == [licences.pupil_licence.pk]


def test_a_licence_of_another_school_is_refused_by_every_action(world, licences):
    other = make_licence(world.school_c, make_product("ander"), LicenceKind.PER_PUPIL, seats=5)
    other_group = make_licence(world.school_c, make_product("ander-groep"))
    pupil, group = licences.pupils[0], licences.group_4a
    school = world.school_a
    calls = [
        lambda: actions.assign_seat(school=school, licence_id=other.pk, pupil_id=pupil.pk, actor=None),
        lambda: actions.release_seat(school=school, licence_id=other.pk, pupil_id=pupil.pk, actor=None),
        lambda: actions.link_groups(school=school, licence_id=other_group.pk, group_ids=[group.pk], actor=None),
        lambda: actions.unlink_group(school=school, licence_id=other_group.pk, group_id=group.pk, actor=None),
    ]
    for call in calls:
        with pytest.raises(actions.LinkRefused, match="hoort niet bij deze school"):
            call()
    assert not Seat.objects.exists() and not GroupLink.objects.exists()


def test_releasing_one_pupil_keeps_the_other_pupils_seat(world, licences):
    first, second = licences.pupils[:2]
    for pupil in (first, second):
        Seat.objects.create(licence=licences.pupil_licence, pupil=pupil, school=world.school_a)
    actions.release_seat(school=world.school_a, licence_id=licences.pupil_licence.pk, pupil_id=second.pk, actor=None)
    assert list(Seat.objects.values_list("pupil_id", flat=True)) == [first.pk]


def test_a_licence_of_the_other_kind_is_refused(world, licences):
    with pytest.raises(actions.LinkRefused):
        actions.assign_seat(
            school=world.school_a, licence_id=licences.group_licence.pk, pupil_id=licences.pupils[0].pk, actor=None
        )
    with pytest.raises(actions.LinkRefused):
        actions.link_groups(
            school=world.school_a, licence_id=licences.pupil_licence.pk, group_ids=[licences.group_4a.pk], actor=None
        )
    assert not Seat.objects.exists() and not GroupLink.objects.exists()
