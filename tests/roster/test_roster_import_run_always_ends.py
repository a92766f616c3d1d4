"""A run always ends: a school that breaks in any way fails alone, a crash closes the run as
failed with its reason, a sweep closes runs that never ended, and `sync_roster` names the
failed schools and exits non-zero."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
import redis
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from roster import tasks
from roster.feed import FolderSource
from roster.feed.validation import ErrorCode
from roster.importer import sync_roster
from roster.models import ImportRun, ImportRunStatus, Pupil, SchoolImportResult, SchoolResultStatus
from tests.roster_feed import group, pupil, replace_roster_bytes, school, staff, write_feed

pytestmark = pytest.mark.django_db
A, B, C = 620_001, 620_002, 620_003


def _school(bp: int, **pupil_extra):
    return school(
        bp,
        groups=[group("G5")],
        staff=[staff(bp + 1, ["Leerkracht"], ["G5"])],
        pupils=[pupil(bp + 10, "G5", **pupil_extra)],
    )


class Crash(BaseException):
    """Something that is not an ordinary error, as a worker being stopped."""


class SourceThatBreaks(FolderSource):
    """A folder feed whose fetch of one school raises what the test names."""

    def __init__(self, root, broken: int, error: BaseException):
        super().__init__(root)
        self.broken, self.error = broken, error

    def fetch_raw(self, basispoort_id):
        if basispoort_id == self.broken:
            raise self.error
        return super().fetch_raw(basispoort_id)


@pytest.mark.parametrize(
    "roster_change",
    [
        {"leerlingen": [{"id": A + 10, "subgroepen": 5}]},
        {"medewerkers": [{"id": A + 1, "rollen": 5}]},
        {"medewerkers": [{"id": A + 1, "groepen": 7}]},
        {"leerlingen": [{"id": 2**70}]},
        {"leerlingen": [{"id": A + 10, "persoonsgegevens": {"voornaam": ["x"]}}]},
        {"medewerkers": [{"id": A + 1, "einddatum": "2026-99-99"}]},
    ],
)
def test_a_school_with_wrong_types_is_refused_alone_with_a_readable_reason(tmp_path, roster_change):
    source = write_feed(tmp_path, [_school(A), _school(B), _school(C)])
    broken = {**_school(A).roster, **roster_change}
    replace_roster_bytes(tmp_path, A, json.dumps(broken).encode())

    run, _summary = sync_roster(source, trigger="test")

    assert run.status == ImportRunStatus.FAILED and run.finished_at is not None
    refused = SchoolImportResult.objects.get(run=run, basispoort_id=A)
    assert refused.status == SchoolResultStatus.FAILED
    assert refused.error_code in {ErrorCode.WRONG_TYPE, ErrorCode.MISSING_ID}
    assert "roster." in refused.error or "leerling" in refused.error
    assert sorted(Pupil.objects.values_list("basispoort_id", flat=True)) == [B + 10, C + 10]


def test_an_unexpected_error_in_one_schools_fetch_fails_only_that_school(tmp_path):
    write_feed(tmp_path, [_school(A), _school(B)])
    run, _summary = sync_roster(SourceThatBreaks(tmp_path, A, RuntimeError("socket closed oddly")), trigger="test")
    refused = SchoolImportResult.objects.get(run=run, basispoort_id=A)
    assert (refused.status, refused.error_code) == (SchoolResultStatus.FAILED, ErrorCode.UNEXPECTED)
    assert "socket closed oddly" in refused.error
    assert Pupil.objects.get().basispoort_id == B + 10
    assert run.status == ImportRunStatus.FAILED


def test_a_crash_closes_the_run_as_failed_with_the_reason(tmp_path):
    write_feed(tmp_path, [_school(A), _school(B)])
    with pytest.raises(Crash):
        sync_roster(SourceThatBreaks(tmp_path, A, Crash("worker stopped")), trigger="test")
    run = ImportRun.objects.get()
    assert run.status == ImportRunStatus.FAILED and run.finished_at is not None
    assert "worker stopped" in run.error
    assert set(SchoolImportResult.objects.filter(run=run).values_list("status", flat=True)) <= {
        SchoolResultStatus.FAILED,
        SchoolResultStatus.IMPORTED,
    }
    assert SchoolImportResult.objects.filter(run=run).count() == 2


def test_sync_roster_exits_non_zero_naming_the_failed_school(tmp_path):
    write_feed(tmp_path, [_school(A), _school(B)])
    replace_roster_bytes(tmp_path, A, json.dumps({**_school(A).roster, "leerlingen": 5}).encode())
    err = io.StringIO()
    with pytest.raises(CommandError, match=rf"1 school\(s\) failed: {A};"):
        call_command("sync_roster", source=str(tmp_path), stdout=io.StringIO(), stderr=err)
    assert f"school {A}:" in err.getvalue()
    assert not ImportRun.objects.filter(status=ImportRunStatus.RUNNING).exists()


@pytest.mark.skipif(not django_settings.REDIS_URL, reason="the lock lives in Redis")
def test_the_sweep_closes_runs_running_longer_than_the_limit_and_frees_their_lock(settings):
    settings.ROSTER_RUN_MAX_HOURS = 2
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    stale = ImportRun.objects.create(trigger="nightly", source="test", schools_total=3)
    young = ImportRun.objects.create(trigger="nightly", source="test", schools_total=3)
    ImportRun.objects.filter(pk=stale.pk).update(started_at=timezone.now() - dt.timedelta(hours=2, minutes=1))
    ImportRun.objects.filter(pk=young.pk).update(started_at=timezone.now() - dt.timedelta(hours=1, minutes=59))
    client.set(tasks.LOCK_KEY, f"run-{stale.pk}", ex=60)

    assert tasks.sweep_stale_runs() == [stale.pk]

    stale.refresh_from_db()
    young.refresh_from_db()
    assert stale.status == ImportRunStatus.FAILED and "2 hours" in stale.error and stale.finished_at
    assert young.status == ImportRunStatus.RUNNING
    assert client.get(tasks.LOCK_KEY) is None
    assert tasks.sweep_stale_runs() == []


def test_the_sweep_is_on_the_beat_schedule():
    entry = django_settings.CELERY_BEAT_SCHEDULE["roster-sweep-stale-runs"]
    assert entry["task"] == tasks.sweep_stale_import_runs.name


def test_a_reason_quoting_a_nul_byte_is_still_recorded(tmp_path):
    write_feed(tmp_path, [_school(A), _school(B)])
    run, _summary = sync_roster(SourceThatBreaks(tmp_path, A, ValueError("naam 'a\x00b' onleesbaar")), trigger="test")
    refused = SchoolImportResult.objects.get(run=run, basispoort_id=A)
    assert refused.status == SchoolResultStatus.FAILED and "naam 'ab' onleesbaar" in refused.error
    assert run.status == ImportRunStatus.FAILED and run.finished_at is not None
