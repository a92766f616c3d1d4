"""Groups are keyed by lasKey: a renamed group keeps its licence links; a removed one is deactivated."""

from __future__ import annotations

import pytest

from licenses.models import GroupLink
from roster.models import Group, Pupil
from tests.factories import make_licence, make_product
from tests.roster_feed import group, import_feed, pupil, school, staff

pytestmark = pytest.mark.django_db
SCHOOL = 500_101
TEACHER = staff(700_101, ["Leerkracht"], ["G5", "G6"])


def test_a_renamed_group_keeps_its_licence_link(tmp_path):
    import_feed(tmp_path, [school(SCHOOL, groups=[group("G5", "Groep 5")], staff=[TEACHER], pupils=[pupil(1, "G5")])])
    g5 = Group.objects.get(las_key="G5")
    link = GroupLink.objects.create(licence=make_licence(g5.school, make_product()), group=g5, school=g5.school)

    import_feed(
        tmp_path, [school(SCHOOL, groups=[group("G5", "Groep 5 – Uilen")], staff=[TEACHER], pupils=[pupil(1, "G5")])]
    )
    g5.refresh_from_db()
    assert g5.name == "Groep 5 – Uilen"
    assert GroupLink.objects.get(pk=link.pk).group_id == g5.pk
    assert Group.objects.filter(school=g5.school).count() == 1


def test_a_group_that_left_the_feed_is_deactivated_not_deleted(tmp_path, settings):
    settings.ROSTER_HOLD_ENABLED = False  # such a night is held (test_roster_hold_*.py); here: what applying it does
    groups = [group("G5", "Groep 5"), group("G6", "Groep 6", "6")]
    import_feed(tmp_path, [school(SCHOOL, groups=groups, staff=[TEACHER], pupils=[pupil(1, "G5"), pupil(2, "G6")])])
    g6 = Group.objects.get(las_key="G6")
    link = GroupLink.objects.create(licence=make_licence(g6.school, make_product()), group=g6, school=g6.school)

    import_feed(tmp_path, [school(SCHOOL, groups=groups[:1], staff=[TEACHER], pupils=[pupil(1, "G5"), pupil(2, "G5")])])
    g6.refresh_from_db()
    assert not g6.active
    assert GroupLink.objects.filter(pk=link.pk).exists()
    assert Pupil.objects.get(basispoort_id=2).group.las_key == "G5"
