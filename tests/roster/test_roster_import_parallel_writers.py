"""Chunks written in parallel on their own connections: same result as one by one, shared staff included."""

from __future__ import annotations

import pytest

from roster.models import Appointment, ImportRunStatus, Pupil, SchoolImportResult, SchoolResultStatus, Staff
from tests.roster_feed import group, import_feed, pupil, school, staff

pytestmark = pytest.mark.django_db(transaction=True)
SCHOOLS = [501_401 + n for n in range(6)]


def test_parallel_writers_import_every_school_once(tmp_path, settings):
    settings.ROSTER_IMPORT_WRITERS = 3
    settings.ROSTER_IMPORT_CHUNK_SIZE = 1
    # One invalkracht works at every school: the parallel chunks all create or update her.
    shared = staff(701_400, ["Inval"], [])
    docs = [
        school(
            bp, groups=[group("G5")], staff=[shared, staff(bp + 1000, ["Leerkracht"], ["G5"])], pupils=[pupil(bp, "G5")]
        )
        for bp in SCHOOLS
    ]
    run, summary = import_feed(tmp_path, docs)

    assert run.status == ImportRunStatus.FINISHED
    assert summary.counts == {SchoolResultStatus.IMPORTED: len(SCHOOLS)}
    assert SchoolImportResult.objects.filter(run=run).count() == len(SCHOOLS)
    assert Pupil.objects.count() == len(SCHOOLS)
    assert Staff.objects.filter(basispoort_id=701_400).count() == 1
    assert Appointment.objects.filter(staff__basispoort_id=701_400, active=True).count() == len(SCHOOLS)


def test_processes_share_the_schools_and_each_is_imported_once(tmp_path, settings):
    settings.ROSTER_IMPORT_PROCESSES = 2
    settings.ROSTER_IMPORT_CHUNK_SIZE = 1
    shared = staff(701_401, ["Inval"], [])
    docs = [
        school(
            bp, groups=[group("G5")], staff=[shared, staff(bp + 2000, ["Leerkracht"], ["G5"])], pupils=[pupil(bp, "G5")]
        )
        for bp in SCHOOLS
    ]
    run, summary = import_feed(tmp_path, docs)

    assert run.status == ImportRunStatus.FINISHED
    assert summary.counts == {SchoolResultStatus.IMPORTED: len(SCHOOLS)}
    assert SchoolImportResult.objects.filter(run=run).count() == len(SCHOOLS)
    assert Pupil.objects.filter(login_code__isnull=False).count() == len(SCHOOLS)
    assert Appointment.objects.filter(staff__basispoort_id=701_401, active=True).count() == len(SCHOOLS)
