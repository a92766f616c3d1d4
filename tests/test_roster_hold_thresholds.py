"""Each rule of a held night at its boundary (roster/holds.py; defaults in settings).

De Regenboog's administration sends a new document; one change more than the threshold allows
holds the night, the change at the threshold does not.
"""

from __future__ import annotations

import pytest

from licenses.models import GroupLink, LicenceKind, Seat
from roster.models import HeldNight, HoldReason, Pupil, SchoolImportResult, SchoolResultStatus
from tests.factories import make_licence, make_product
from tests.roster_feed import group, import_feed, pupil, school, staff

pytestmark = pytest.mark.django_db
REGENBOOG = 500_251
COORDINATOR = 700_250  # Ilse Bakker, the ict-coördinator


def regenboog(pupils: list[int], staff_ids: list[int], *, groups=("G5", "G6"), coordinators=(COORDINATOR,)):
    members = [staff(COORDINATOR, ["ICTCoordinator"])] if COORDINATOR in coordinators else []
    members += [staff(sid, ["ICTCoordinator" if sid in coordinators else "Leerkracht"], ["G5"]) for sid in staff_ids]
    return school(
        REGENBOOG,
        groups=[group(key, f"Groep {key[1:]}", key[1:]) for key in groups],
        pupils=[pupil(pid, groups[pid % len(groups)], first=f"Kind{pid}") for pid in pupils],
        staff=members,
    )


def night(tmp_path, doc) -> str:
    import_feed(tmp_path, [doc])
    return SchoolImportResult.objects.filter(basispoort_id=REGENBOOG).order_by("-run_id").first().status


def held_reasons() -> list[str]:
    hold = HeldNight.objects.filter(school__basispoort_id=REGENBOOG, decided_at__isnull=True).first()
    return hold.reasons if hold else []


@pytest.mark.parametrize(("total", "leaving", "held"), [(50, 5, False), (50, 6, True), (40, 4, False), (40, 5, True)])
def test_more_than_ten_percent_of_the_pupils_leaving_is_held(tmp_path, total, leaving, held):
    pupils = list(range(1, total + 1))
    night(tmp_path, regenboog(pupils, [701]))
    status = night(tmp_path, regenboog(pupils[leaving:], [701]))
    assert (status == SchoolResultStatus.HELD) is held
    assert (HoldReason.PUPILS_LEAVING in held_reasons()) is held
    active = Pupil.objects.filter(school__basispoort_id=REGENBOOG, active=True).count()
    assert active == (total if held else total - leaving)


@pytest.mark.parametrize(("leaving", "held"), [(4, False), (5, True)])
def test_at_least_five_pupils_must_leave(tmp_path, leaving, held):
    pupils = list(range(1, 21))  # 4 of 20 is 20 %, above the percentage, yet fewer than five
    night(tmp_path, regenboog(pupils, [701]))
    assert (night(tmp_path, regenboog(pupils[leaving:], [701])) == SchoolResultStatus.HELD) is held


def test_a_group_with_a_licence_link_is_not_removed_without_asking(tmp_path):
    pupils = list(range(1, 41))
    night(tmp_path, regenboog(pupils, [701], groups=("G5", "G6", "G7")))
    from_school = Pupil.objects.filter(school__basispoort_id=REGENBOOG).first().school
    g7 = from_school.groups.get(las_key="G7")
    GroupLink.objects.create(licence=make_licence(from_school, make_product()), group=g7, school=from_school)

    # G6 has nothing tied to it and may go; G7 is linked.
    assert night(tmp_path, regenboog(pupils, [701], groups=("G5", "G7"))) == SchoolResultStatus.IMPORTED
    assert night(tmp_path, regenboog(pupils, [701], groups=("G5",))) == SchoolResultStatus.HELD
    assert held_reasons() == [HoldReason.LICENSED_GROUP_REMOVED]
    g7.refresh_from_db()
    assert g7.active


def test_a_group_whose_pupil_holds_a_seat_is_not_removed_without_asking(tmp_path):
    pupils = list(range(1, 41))
    night(tmp_path, regenboog(pupils, [701]))
    regenboog_school = Pupil.objects.filter(school__basispoort_id=REGENBOOG).first().school
    licence = make_licence(regenboog_school, make_product(), kind=LicenceKind.PER_PUPIL, seats=3)
    in_g6 = Pupil.objects.get(school=regenboog_school, basispoort_id=1)  # pupil 1 is in G6 (1 % 2)
    Seat.objects.create(licence=licence, pupil=in_g6, school=regenboog_school)

    # Everyone moves to G5 and G6 disappears: no pupil leaves, yet G6's seat holder is affected.
    doc = regenboog(pupils, [701], groups=("G5",))
    assert night(tmp_path, doc) == SchoolResultStatus.HELD
    assert held_reasons() == [HoldReason.LICENSED_GROUP_REMOVED]


@pytest.mark.parametrize(("removed", "held"), [(2, False), (3, True)])
def test_more_than_half_of_the_staff_removed_is_held(tmp_path, removed, held):
    # Four staff: the coordinator and three teachers; the coordinator always stays.
    night(tmp_path, regenboog(list(range(1, 21)), [701, 702, 703]))
    status = night(tmp_path, regenboog(list(range(1, 21)), [701, 702, 703][removed:]))
    assert (status == SchoolResultStatus.HELD) is held
    assert held_reasons() == ([HoldReason.STAFF_LEAVING] if held else [])


def test_removing_every_coordinator_is_held_and_a_successor_is_not(tmp_path):
    pupils = list(range(1, 21))
    night(tmp_path, regenboog(pupils, [701, 702, 703, 704]))
    # The coordinator hands over to 701: one of five staff leaves, a coordinator remains.
    assert night(tmp_path, regenboog(pupils, [701, 702, 703, 704], coordinators=(701,))) == SchoolResultStatus.IMPORTED
    # Now nobody is coordinator any more: held, 701 keeps the role until someone decides.
    assert night(tmp_path, regenboog(pupils, [701, 702, 703, 704], coordinators=())) == SchoolResultStatus.HELD
    assert held_reasons() == [HoldReason.COORDINATORS_LEAVING]
