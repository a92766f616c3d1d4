"""A school chunk whose source did not answer is retried a bounded number of times, then recorded as failed."""

from __future__ import annotations

import pytest

from roster import tasks
from roster.feed import RawSchool, TransientSourceError
from roster.importer import start_run
from roster.models import ImportRunStatus, SchoolImportResult, SchoolResultStatus

pytestmark = pytest.mark.django_db


class FlakySource:
    label = "flaky"

    def school_ids(self) -> list[int]:
        return [501_201]

    def fetch_raw(self, basispoort_id: int) -> RawSchool:
        raise TransientSourceError("GET instellingen/501201: HTTP 503 after 4 tries")


def test_a_transient_failure_is_raised_for_a_retry_until_the_last_attempt(monkeypatch, settings):
    monkeypatch.setattr(tasks, "source_from", lambda spec=None: FlakySource())
    run, ids = start_run(FlakySource(), trigger="test")

    with pytest.raises(TransientSourceError):
        tasks.import_chunk_now(run.pk, ids, False, final_attempt=False)
    assert not SchoolImportResult.objects.exists()

    tasks.import_chunk_now(run.pk, ids, False, final_attempt=True)
    result = SchoolImportResult.objects.get()
    assert (result.status, "503" in result.error) == (SchoolResultStatus.FAILED, True)
    run.refresh_from_db()
    assert run.status == ImportRunStatus.FAILED


def test_the_chunk_task_retries_a_bounded_number_of_times(settings):
    assert tasks.import_chunk.max_retries == settings.ROSTER_TASK_RETRIES
    assert TransientSourceError in tasks.import_chunk.autoretry_for
