"""The options of the management commands that the README promises: `demo_world --extra-schools`
and `sync_roster --full` (on PostgreSQL; the SQLite run is in test_demo_sqlite_paths.py)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from demo.world import demo_schools, generated_school
from roster.models import School, SchoolImportResult, SchoolResultStatus
from tests.roster_feed import group, pupil, school, write_feed

pytestmark = pytest.mark.django_db


def test_demo_world_extra_schools_adds_that_many_generated_schools(tmp_path):
    out = StringIO()
    call_command("demo_world", feed_dir=str(tmp_path / "feed"), extra_schools=2, stdout=out)
    demo_ids = {doc.basispoort_id for doc in demo_schools()}
    extra_ids = {generated_school(4).basispoort_id, generated_school(5).basispoort_id}
    assert set(School.objects.values_list("basispoort_id", flat=True)) == demo_ids | extra_ids
    assert out.getvalue().startswith(f"Demo world: {len(demo_ids) + 2} schools written to ")


def run_sync(tmp_path, *args: str) -> str:
    out = StringIO()
    call_command("sync_roster", "--source", str(tmp_path), *args, stdout=out)
    return out.getvalue()


def test_sync_roster_full_imports_schools_whose_feed_did_not_change(tmp_path):
    docs = [school(bp, groups=[group("G5")], pupils=[pupil(bp + 1, "G5")]) for bp in (502_001, 502_002)]
    write_feed(tmp_path, docs)
    assert ": 2 imported, 0 unchanged, 0 failed" in run_sync(tmp_path)
    assert ": 0 imported, 2 unchanged, 0 failed" in run_sync(tmp_path)
    assert ": 2 imported, 0 unchanged, 0 failed" in run_sync(tmp_path, "--full")
    last = SchoolImportResult.objects.filter(run__full=True)
    assert sorted(last.values_list("status", flat=True)) == [SchoolResultStatus.IMPORTED] * 2
