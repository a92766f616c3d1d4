"""The nightly import's changes reach the registry: a pupil who arrives in a linked group gets the
product, one who leaves loses it. The roster only sends a signal; integrations subscribes."""

from __future__ import annotations

from pathlib import Path

import pytest

from bingel_admin.celery import app
from licenses.models import GroupLink
from roster.models import Group, School
from tests.factories import make_licence, make_product
from tests.roster_feed import group, import_feed, pupil, school, staff
from tests.servers import ROOT

pytestmark = pytest.mark.django_db(transaction=True)
SCHOOL = 500_201
TEACHER = staff(700_201, ["Leerkracht"], ["G5"])


@pytest.fixture
def eager(monkeypatch):
    monkeypatch.setitem(app.conf, "task_always_eager", True)


def night(tmp_path: Path, *pupil_ids: int) -> None:
    pupils = [pupil(i, "G5", f"Kind{i}") for i in pupil_ids]
    import_feed(tmp_path, [school(SCHOOL, groups=[group("G5", "Groep 5")], staff=[TEACHER], pupils=pupils)])


def test_arrivals_and_departures_in_a_linked_group_are_pushed(tmp_path, registry_settings, eager):
    night(tmp_path, 1, 2)
    the_school = School.objects.get(basispoort_id=SCHOOL)
    licence = make_licence(the_school, make_product("reken-5"))
    GroupLink.objects.create(licence=licence, group=Group.objects.get(las_key="G5"), school=the_school)

    night(tmp_path, 2, 3)  # 1 left, 3 arrived
    assert registry_settings.sets()[(SCHOOL, "reken-5")] == {2, 3, 700_201}

    night(tmp_path, 2, 3)  # nothing changed: the import sends no signal, nothing is pushed
    writes = [entry for entry in registry_settings.log if entry[0] in ("PUT", "DELETE")]
    assert len(writes) == 2  # the licence created (back office), then the night with changes


def test_the_roster_import_does_not_import_the_integrations_layer():
    roster = ROOT / "roster"
    offenders = [
        path.name
        for path in (
            *(roster / "importer").glob("*.py"),
            roster / "signals.py",
            roster / "tasks.py",
            roster / "lock.py",
        )
        if any(
            line.startswith(("from integrations", "import integrations"))
            for line in path.read_text(encoding="utf-8").splitlines()
        )
    ]
    assert offenders == []
