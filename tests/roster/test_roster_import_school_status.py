"""Closed and merged schools are marked inactive; a school that withdrew permission is no longer synchronised."""

from __future__ import annotations

import json

import pytest

from roster.models import Pupil, School, SchoolImportResult, SchoolResultStatus
from tests.roster_feed import group, import_feed, pupil, school, staff

pytestmark = pytest.mark.django_db
A, B = 500_301, 500_302


def doc(bp_id: int, **kwargs):
    return school(bp_id, groups=[group("G5")], staff=[staff(bp_id + 1000, ["Leerkracht"], ["G5"])], **kwargs)


def test_a_school_with_actief_false_is_marked_inactive(tmp_path):
    import_feed(tmp_path, [doc(A, pupils=[pupil(1, "G5")])])
    import_feed(tmp_path, [doc(A, pupils=[pupil(1, "G5")], actief=False)])
    assert not School.objects.get(basispoort_id=A).active
    assert Pupil.objects.get(basispoort_id=1).active


def test_a_merged_school_is_inactive_and_points_at_its_successor(tmp_path):
    import_feed(tmp_path, [doc(A, pupils=[pupil(1, "G5")]), doc(B, pupils=[pupil(2, "G5")])])
    import_feed(tmp_path, [doc(A, pupils=[pupil(1, "G5")], merged_into=B), doc(B, pupils=[pupil(2, "G5")])])
    merged = School.objects.get(basispoort_id=A)
    assert not merged.active
    assert merged.merged_into == School.objects.get(basispoort_id=B)
    assert School.objects.get(basispoort_id=B).active


def test_a_school_that_withdrew_permission_is_no_longer_synchronised(tmp_path):
    import_feed(tmp_path, [doc(A, pupils=[pupil(1, "G5")]), doc(B, pupils=[pupil(2, "G5")])])
    # Gone from `instellingen`: the school withdrew; its (stale) files are still in the folder.
    run, _ = import_feed(tmp_path, [doc(B, pupils=[pupil(2, "G5"), pupil(3, "G5")])])

    withdrawn = School.objects.get(basispoort_id=A)
    assert not withdrawn.sync_permitted
    assert SchoolImportResult.objects.get(run=run, basispoort_id=A).status == SchoolResultStatus.WITHDRAWN
    assert Pupil.objects.filter(school__basispoort_id=B).count() == 2

    again, _ = import_feed(tmp_path, [doc(B, pupils=[pupil(2, "G5"), pupil(3, "G5")])])
    assert not SchoolImportResult.objects.filter(run=again, basispoort_id=A).exists()


def test_a_school_that_grants_permission_again_is_imported_in_full(tmp_path):
    first = doc(A, pupils=[pupil(1, "G5")])
    import_feed(tmp_path, [first])
    import_feed(tmp_path, [doc(B)])
    run, _ = import_feed(tmp_path, [first, doc(B)])
    assert School.objects.get(basispoort_id=A).sync_permitted
    assert SchoolImportResult.objects.get(run=run, basispoort_id=A).status == SchoolResultStatus.IMPORTED


def permission_list(tmp_path, kind: str, ids: list[int]) -> None:
    folder = tmp_path / "instellingen" / "synchronizationpermission"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{kind}.json").write_text(json.dumps(ids))


def test_a_school_on_the_withdrawn_list_stops_even_while_still_listed(tmp_path):
    import_feed(tmp_path, [doc(A, pupils=[pupil(1, "G5")]), doc(B, pupils=[pupil(2, "G5")])])
    permission_list(tmp_path, "ingetrokken", [{"instellingId": A}])
    run, _ = import_feed(tmp_path, [doc(A, pupils=[pupil(1, "G5"), pupil(9, "G5")]), doc(B, pupils=[pupil(2, "G5")])])
    assert not School.objects.get(basispoort_id=A).sync_permitted
    assert SchoolImportResult.objects.get(run=run, basispoort_id=A).status == SchoolResultStatus.WITHDRAWN
    assert not Pupil.objects.filter(basispoort_id=9).exists(), "nothing of a withdrawn school is imported"


def test_a_school_that_withdrew_and_granted_again_keeps_syncing(tmp_path):
    import_feed(tmp_path, [doc(A, pupils=[pupil(1, "G5")])])
    permission_list(tmp_path, "ingetrokken", [A])
    permission_list(tmp_path, "toegekend", [A])
    import_feed(tmp_path, [doc(A, pupils=[pupil(1, "G5"), pupil(9, "G5")])])
    assert School.objects.get(basispoort_id=A).sync_permitted
    assert Pupil.objects.filter(basispoort_id=9).exists()
