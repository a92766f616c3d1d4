"""Soft problems in a school's file are recorded as warnings and do not block the import."""

from __future__ import annotations

import pytest

from roster.feed.validation import WarningCode
from roster.models import Group, Pupil, SchoolImportResult, SchoolResultStatus
from tests.roster_feed import group, import_feed, pupil, school, staff

pytestmark = pytest.mark.django_db
SCHOOL = 500_501


def warnings_of(run) -> dict[str, dict]:
    result = SchoolImportResult.objects.get(run=run, basispoort_id=SCHOOL)
    assert result.status == SchoolResultStatus.IMPORTED
    return {w["code"]: w for w in result.warnings}


def test_each_soft_problem_is_a_warning_and_the_school_is_imported(tmp_path):
    doc = school(
        SCHOOL,
        brin="12ab",
        dependancecode="1",
        groups=[group("G5"), group("G6", jaargroep="6"), group("GX", "Groep X", jaargroep="Q")],
        pupils=[
            pupil(1, "G5"),
            pupil(2, "G9", "Daan", "Bos"),
            pupil(3, None, "Noor", "Smit"),
            pupil(4, "G5", "Sem", "Kok", jaargroep="X"),
        ],
        staff=[
            staff(700_501, ["Leerkracht"], ["G5", "GX"], email=None),
            staff(700_502, ["Leerkracht", "Conciërge"], [], email="team@school.example.nl"),
            staff(700_503, ["Leerkracht"], [], email="TEAM@school.example.nl"),
        ],
    )
    run, _ = import_feed(tmp_path, [doc])
    found = warnings_of(run)
    assert set(found) == {
        WarningCode.PUPIL_UNKNOWN_GROUP,
        WarningCode.PUPIL_WITHOUT_GROUP,
        WarningCode.STAFF_WITHOUT_EMAIL,
        WarningCode.STAFF_SHARED_EMAIL,
        WarningCode.GROUP_WITHOUT_TEACHER,
        WarningCode.BRIN_INVALID,
        WarningCode.DEPENDANCECODE_INVALID,
        WarningCode.UNKNOWN_YEAR_LEVEL,
        WarningCode.UNKNOWN_ROLE,
    }
    assert found[WarningCode.PUPIL_UNKNOWN_GROUP]["examples"] == ["Daan Bos: G9"]
    assert found[WarningCode.GROUP_WITHOUT_TEACHER]["examples"] == ["G6"]
    assert found[WarningCode.UNKNOWN_YEAR_LEVEL]["count"] == 2
    # Imported all the same: the pupil of the unknown group without it, the unknown year levels as they are.
    assert Pupil.objects.get(basispoort_id=2).group is None
    assert Pupil.objects.get(basispoort_id=4).jaargroep == "X"
    assert Group.objects.get(las_key="GX").jaargroep == "Q"


def test_a_clean_file_has_no_warnings(tmp_path):
    doc = school(SCHOOL, groups=[group("G5")], pupils=[pupil(1, "G5")], staff=[staff(700_501, ["Leerkracht"], ["G5"])])
    run, _ = import_feed(tmp_path, [doc])
    assert warnings_of(run) == {}
