"""What `make demo` runs, on the embedded defaults (SQLite, eager tasks): the folder feed is
imported, results are exported to the reference LVS, and `sync_roster --full` re-imports.

These are the SQLite branches of the importer (no COPY, one writer, bulk_update) and of the
exporter; the rest of the suite runs on PostgreSQL."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import requests

from demo.results import DEMO_LVS_KEY
from demo.world import DEMO_COORDINATOR
from tests.servers import ROOT, clean_env, free_port, running

LINK_AND_EXPORT = f"""
import json
from django.core.management import call_command
from audit.records import Actor
from integrations.actions import add_link
from integrations.models import LvsSupplier
from roster.models import Staff
coordinator = Staff.objects.get(basispoort_id={DEMO_COORDINATOR.basispoort_id})
school = coordinator.appointments.order_by("pk").first().school
add_link(school=school, supplier=LvsSupplier.objects.get(name="Momento"), key="{DEMO_LVS_KEY}", staff=coordinator,
         actor=Actor(coordinator.full_name))
call_command("export_results", "--school", str(school.pk))
print(json.dumps({{"school": school.pk}}))
"""


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result


def test_the_demo_imports_its_feed_and_exports_results_on_sqlite(tmp_path):
    env = clean_env(BINGEL_VAR_DIR=str(tmp_path))
    manage(env, "migrate", "--noinput")
    world = manage(env, "demo_world").stdout
    database = sqlite3.connect(tmp_path / "db.sqlite3")
    schools = database.execute("SELECT count(*) FROM roster_school").fetchone()[0]
    pupils = database.execute("SELECT count(*) FROM roster_pupil WHERE active").fetchone()[0]
    assert schools >= 3 and pupils >= 50, world
    assert f"{schools} school(s) changed by the import" in world

    port = free_port()
    lvs_args = [sys.executable, "-m", "demo.reference_lvs", "--port", str(port), "--key", DEMO_LVS_KEY]
    with running(lvs_args, env, f"http://127.0.0.1:{port}/", tmp_path / "lvs.log"):
        manage(env, "demo_results", "--lvs-url", f"http://127.0.0.1:{port}/uwlr", "--per-pupil", "3")
        school_pk = json.loads(manage(env, "shell", "-c", LINK_AND_EXPORT).stdout.strip().splitlines()[-1])["school"]
        received = requests.get(f"http://127.0.0.1:{port}/", timeout=5).json()

    expected = database.execute(
        "SELECT count(*) FROM integrations_learningresult r JOIN roster_pupil p ON p.id = r.pupil_id "
        "WHERE p.school_id = ?",
        [school_pk],
    ).fetchone()[0]
    assert expected > 0
    assert received["opgeslagen"] == expected and received["herhaalde_sleutels"] == 0
    statuses = database.execute("SELECT status, sum(size) FROM integrations_deliverybatch GROUP BY status").fetchall()
    assert statuses == [("bevestigd", expected)]

    # `--full` imports every school again although nothing changed; without it all are skipped.
    assert f": {schools} imported, 0 unchanged, 0 failed" in manage(env, "sync_roster", "--full").stdout
    assert f": 0 imported, {schools} unchanged, 0 failed" in manage(env, "sync_roster").stdout

    # A pupil leaves and a group is renamed in the school administration: the changed rows are
    # written through the SQLite branch of the importer.
    document = next((tmp_path / "demo-feed" / "instellingen").glob("*.json"))
    roster = json.loads(document.read_text())
    leaver = roster["leerlingen"].pop()
    roster["groepen"][0]["naam"] = "Hernoemd"
    roster["metaResult"]["mutationTimestamp"] = "2030-01-01T02:00:00+01:00"
    document.write_text(json.dumps(roster))
    assert f": 1 imported, {schools - 1} unchanged, 0 failed" in manage(env, "sync_roster").stdout
    assert database.execute(
        "SELECT active, left_at IS NOT NULL FROM roster_pupil WHERE basispoort_id = ?", [leaver["id"]]
    ).fetchone() == (0, 1)
    assert database.execute("SELECT count(*) FROM roster_group WHERE name = 'Hernoemd'").fetchone() == (1,)
