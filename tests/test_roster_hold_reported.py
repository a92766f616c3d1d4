"""Held schools are named where operators look: `manage.py sync_roster` lists them and exits with
its own status (3), and the back office lists the held nights and counts them per run."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.db import connection
from django.urls import reverse

from roster.models import HeldNight, Pupil
from tests.factories import back_office_login
from tests.roster_feed import group, import_feed, pupil, school, staff, write_feed

DE_REGENBOOG, HET_KOMPAS = 500_281, 500_282


def feed(pupils_regenboog: list[int]):
    return [
        school(
            DE_REGENBOOG,
            groups=[group("G5")],
            pupils=[pupil(p, "G5") for p in pupils_regenboog],
            staff=[staff(700_281, ["ICTCoordinator"])],
        ),
        school(
            HET_KOMPAS,
            name="Het Kompas",
            groups=[group("K5")],
            pupils=[pupil(100 + p, "K5") for p in range(20)],
            staff=[staff(700_282, ["ICTCoordinator"])],
        ),
    ]


def sync_roster_process(source) -> subprocess.CompletedProcess:
    db = connection.settings_dict
    # A real process, as cron or an operator runs it, on the test database.
    env = {**os.environ, "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"}
    return subprocess.run(
        [sys.executable, "manage.py", "sync_roster", "--source", str(source)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.django_db(transaction=True)
def test_sync_roster_names_held_schools_and_exits_3(tmp_path):
    write_feed(tmp_path, feed(list(range(1, 21))))
    assert sync_roster_process(tmp_path).returncode == 0
    write_feed(tmp_path, feed(list(range(1, 11))))
    done = sync_roster_process(tmp_path)
    assert done.returncode == 3, done.stderr
    assert "1 school(s) held" in done.stdout
    assert f"school {DE_REGENBOOG} De Regenboog: pupils_leaving" in done.stdout
    assert str(HET_KOMPAS) not in done.stdout.split("held", 1)[1]
    assert Pupil.objects.filter(school__basispoort_id=DE_REGENBOOG, active=True).count() == 20


@pytest.mark.django_db
def test_the_back_office_lists_held_nights_and_counts_them_per_run(tmp_path, client, django_assert_max_num_queries):
    import_feed(tmp_path, feed(list(range(1, 21))))
    import_feed(tmp_path, feed(list(range(1, 11))))
    hold = HeldNight.objects.get()
    back_office_login(client)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("admin:roster_heldnight_changelist") + "?decided_at__isempty=1")
    assert page.status_code == 200
    assert "De Regenboog" in page.text
    detail = client.get(reverse("admin:roster_heldnight_change", args=[hold.pk]))
    assert detail.status_code == 200
    assert "field-summary" in detail.text
    assert "field-document" not in detail.text, "the kept document is not shown"
    with django_assert_max_num_queries(12):
        runs = client.get(reverse("admin:roster_importrun_changelist"))
    assert 'class="field-held">1<' in runs.text
