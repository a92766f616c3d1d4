"""`manage.py sync_roster`: progress, a summary, and a non-zero exit when a school failed."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
import redis
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from roster.lock import LOCK_KEY
from roster.models import ImportRun, Pupil, SchoolImportResult
from tests.roster_feed import group, pupil, school, staff, write_feed

pytestmark = pytest.mark.django_db
A, B = 500_701, 500_702


def feed(tmp_path, *, broken_a: bool = False):
    pupils_a = [pupil(1, "G5"), pupil(1, "G5")] if broken_a else [pupil(1, "G5")]
    write_feed(
        tmp_path,
        [
            school(A, groups=[group("G5")], staff=[staff(700_701, ["Leerkracht"], ["G5"])], pupils=pupils_a),
            school(B, groups=[group("G5")], staff=[staff(700_702, ["Leerkracht"], ["G5"])], pupils=[pupil(2, "G5")]),
        ],
    )


def test_imports_the_folder_with_progress_and_summary(tmp_path):
    feed(tmp_path)
    out = io.StringIO()
    call_command("sync_roster", source=str(tmp_path), stdout=out)
    assert "2/2 schools" in out.getvalue()
    assert "2 imported, 0 unchanged, 0 failed" in out.getvalue()
    assert Pupil.objects.count() == 2


def test_a_broken_school_fails_the_command_and_the_other_is_imported(tmp_path):
    feed(tmp_path, broken_a=True)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="1 school"):
        call_command("sync_roster", source=str(tmp_path), stdout=out, stderr=err)
    assert f"school {A}:" in err.getvalue()
    assert Pupil.objects.get().basispoort_id == 2


def test_school_limits_the_run_to_one_school(tmp_path):
    feed(tmp_path)
    call_command("sync_roster", source=str(tmp_path), school=B, stdout=io.StringIO())
    assert list(SchoolImportResult.objects.values_list("basispoort_id", flat=True)) == [B]
    assert ImportRun.objects.get().schools_total == 1


def test_an_unreadable_source_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="cannot be read"):
        call_command("sync_roster", source=str(tmp_path / "missing"), stdout=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_exit_status_is_non_zero_for_a_failed_school(tmp_path):
    feed(tmp_path, broken_a=True)
    db = connection.settings_dict
    # A real process, as cron or an operator runs it, on the test database.
    env = {**os.environ, "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"}
    done = subprocess.run(
        [sys.executable, "manage.py", "sync_roster", "--source", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "1 school(s) failed" in done.stderr
    assert Pupil.objects.get().basispoort_id == 2


@pytest.mark.skipif(not settings.REDIS_URL, reason="the lock lives in Redis")
def test_the_command_does_not_start_while_another_run_holds_the_lock(tmp_path):
    feed(tmp_path)
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.set(LOCK_KEY, "run-elsewhere", ex=60)
    try:
        with pytest.raises(CommandError, match="Another roster import is running"):
            call_command("sync_roster", source=str(tmp_path), stdout=io.StringIO())
    finally:
        client.delete(LOCK_KEY)
    assert not ImportRun.objects.exists()
