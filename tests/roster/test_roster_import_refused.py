"""A school whose file is broken is refused as a whole: its data stays as it was, the others go on."""

from __future__ import annotations

import json

import pytest

from roster.feed.validation import ErrorCode
from roster.models import ImportRunStatus, Pupil, School, SchoolImportResult, SchoolResultStatus, Staff
from tests.roster_feed import group, import_feed, pupil, school, staff, write_feed

pytestmark = pytest.mark.django_db
A, B = 500_401, 500_402
TEACHER_A, TEACHER_B = staff(700_401, ["Leerkracht"], ["G5"]), staff(700_402, ["Leerkracht"], ["G5"])


def snapshot() -> list:
    return list(Pupil.objects.filter(school__basispoort_id=A).order_by("pk").values()) + list(
        Staff.objects.order_by("pk").values()
    )


@pytest.fixture
def imported(tmp_path):
    import_feed(
        tmp_path,
        [
            school(A, groups=[group("G5")], staff=[TEACHER_A], pupils=[pupil(1, "G5"), pupil(2, "G5")]),
            school(B, groups=[group("G5")], staff=[TEACHER_B], pupils=[pupil(3, "G5")]),
        ],
    )
    return snapshot()


def b_next_night():
    return school(B, groups=[group("G5")], staff=[TEACHER_B], pupils=[pupil(3, "G5"), pupil(4, "G5")])


def second_night(tmp_path, broken_a):
    return import_feed(tmp_path, [broken_a, b_next_night()])


def assert_refused(run, before, code):
    assert snapshot() == before
    result = SchoolImportResult.objects.get(run=run, basispoort_id=A)
    assert (result.status, result.error_code) == (SchoolResultStatus.FAILED, code)
    assert result.error
    assert Pupil.objects.filter(school__basispoort_id=B).count() == 2
    assert run.status == ImportRunStatus.FAILED


def test_duplicate_pupil_ids_refuse_the_school(tmp_path, imported):
    broken = school(A, groups=[group("G5")], staff=[TEACHER_A], pupils=[pupil(1, "G5"), pupil(1, "G5", "Daan")])
    run, _ = second_night(tmp_path, broken)
    assert_refused(run, imported, ErrorCode.DUPLICATE_ID)


def test_duplicate_staff_ids_refuse_the_school(tmp_path, imported):
    broken = school(A, groups=[group("G5")], staff=[TEACHER_A, TEACHER_A], pupils=[pupil(1, "G5")])
    run, _ = second_night(tmp_path, broken)
    assert_refused(run, imported, ErrorCode.DUPLICATE_ID)


def test_a_pupil_without_an_id_refuses_the_school(tmp_path, imported):
    nameless = pupil(9, "G5")
    del nameless["id"]
    run, _ = second_night(
        tmp_path, school(A, groups=[group("G5")], staff=[TEACHER_A], pupils=[pupil(1, "G5"), nameless])
    )
    assert_refused(run, imported, ErrorCode.MISSING_ID)


def test_a_file_that_is_not_json_refuses_the_school(tmp_path, imported):
    good = school(A, groups=[group("G5")], staff=[TEACHER_A], pupils=[pupil(1, "G5")])
    write_feed(tmp_path, [good, b_next_night()])
    text = json.dumps(good.roster)
    (tmp_path / "instellingen" / f"{A}.json").write_text(text[: len(text) // 2], encoding="utf-8")
    run, _ = import_feed(tmp_path)
    assert_refused(run, imported, ErrorCode.INVALID_JSON)


def test_a_refused_new_school_is_recorded_without_a_school_row(tmp_path):
    broken = school(A, groups=[group("G5")], staff=[TEACHER_A], pupils=[pupil(1, "G5"), pupil(1, "G5")])
    run, _ = import_feed(tmp_path, [broken])
    assert not School.objects.filter(basispoort_id=A).exists()
    result = SchoolImportResult.objects.get(run=run)
    assert (result.school, result.status) == (None, SchoolResultStatus.FAILED)
