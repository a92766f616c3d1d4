"""The same feed twice changes nothing; an unchanged mutationTimestamp skips the school unless --full."""

from __future__ import annotations

import pytest
from django.apps import apps

from roster.models import Pupil, SchoolImportResult, SchoolResultStatus
from tests.roster_feed import group, import_feed, pupil, school, staff

pytestmark = pytest.mark.django_db
SCHOOL = 500_601


def roster_rows() -> dict:
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for model in apps.get_app_config("roster").get_models()
        if model._meta.model_name not in {"importrun", "schoolimportresult"}
    }


def doc(timestamp: str, *pupils):
    return school(
        SCHOOL,
        timestamp=timestamp,
        groups=[group("G5")],
        subgroups=[group("PLUS", "Plusklas", None)],
        staff=[staff(700_601, ["Leerkracht", "ICTCoordinator"], ["G5"])],
        pupils=list(pupils) or [pupil(1, "G5", subgroepen=["PLUS"]), pupil(2, "G5")],
    )


def test_the_same_feed_twice_changes_nothing_and_is_reported_unchanged(tmp_path, django_assert_max_num_queries):
    import_feed(tmp_path, [doc("2026-09-01T02:00:00+02:00")])
    before = roster_rows()
    # Per run and chunk, not per school: the schools this run already settled (a chunk delivered
    # again skips them) and closing any open held night of the unchanged schools.
    with django_assert_max_num_queries(13):
        run, summary = import_feed(tmp_path)
    assert roster_rows() == before
    assert SchoolImportResult.objects.get(run=run).status == SchoolResultStatus.UNCHANGED
    assert summary.counts == {SchoolResultStatus.UNCHANGED: 1}


def test_full_reads_the_school_again_and_finds_nothing_to_change(tmp_path):
    import_feed(tmp_path, [doc("2026-09-01T02:00:00+02:00")])
    before = roster_rows()
    run, _ = import_feed(tmp_path, full=True)
    assert roster_rows() == before
    result = SchoolImportResult.objects.get(run=run)
    assert result.status == SchoolResultStatus.IMPORTED
    assert (result.created, result.updated, result.deactivated) == ({}, {}, {})


def test_a_changed_file_with_the_old_timestamp_is_skipped_unless_full(tmp_path):
    import_feed(tmp_path, [doc("2026-09-01T02:00:00+02:00")])
    import_feed(tmp_path, [doc("2026-09-01T02:00:00+02:00", pupil(1, "G5", "Emma", "Jansen"))])
    assert Pupil.objects.get(basispoort_id=1).last_name == "Visser"
    import_feed(tmp_path, full=True)
    assert Pupil.objects.get(basispoort_id=1).last_name == "Jansen"
    assert not Pupil.objects.get(basispoort_id=2).active
