"""The back office sees every import run and each school's result, read-only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from roster.models import ImportRun, SchoolImportResult
from tests.factories import back_office_login
from tests.roster_feed import group, import_feed, pupil, school, staff

pytestmark = pytest.mark.django_db


def test_runs_and_results_are_listed_and_cannot_be_changed(tmp_path, client, django_assert_max_num_queries):
    teacher = staff(701_301, ["Leerkracht"], ["G5"])
    import_feed(
        tmp_path,
        [
            school(501_301, groups=[group("G5")], staff=[teacher], pupils=[pupil(1, "G5")]),
            school(501_302, groups=[group("G5")], staff=[teacher], pupils=[pupil(2, "G5"), pupil(2, "G5")]),
        ],
    )
    back_office_login(client)
    run = ImportRun.objects.get()
    refused = SchoolImportResult.objects.get(basispoort_id=501_302)

    with django_assert_max_num_queries(12):
        runs = client.get(reverse("admin:roster_importrun_changelist"))
    assert runs.status_code == 200
    with django_assert_max_num_queries(12):
        results = client.get(reverse("admin:roster_schoolimportresult_changelist") + "?status__exact=failed")
    assert "501302" in results.text
    assert "501301" not in results.text
    detail = client.get(reverse("admin:roster_schoolimportresult_change", args=[refused.pk]))
    assert detail.status_code == 200
    assert "occur more than once" in detail.text
    assert client.post(reverse("admin:roster_importrun_delete", args=[run.pk])).status_code == 403
