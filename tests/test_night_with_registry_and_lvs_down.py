"""A night with the licence registry and the LVS both unreachable: the import runs, nothing is
lost, and both are caught up once they answer again.

The reference registry and the reference LVS really run on ports of the test's own and are
stopped for the night; tasks run eagerly. The night's import moves a pupil out of and another
into a linked group (the registry must hear of it) and new results wait for the LVS.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest

from bingel_admin.celery import app
from demo.reference_lvs import ReferenceLvs
from demo.reference_lvs import running as lvs_running
from demo.reference_registry import PREFIX, ReferenceRegistry
from demo.reference_registry import running as registry_running
from integrations import tasks
from integrations.models import RegistrySchool
from licenses.models import GroupLink
from roster.models import Group, ImportRunStatus, Pupil, School
from tests.factories import make_licence, make_product
from tests.lvs_helpers import LVS_KEY, make_result_link, make_supplier, store
from tests.roster_feed import group, import_feed, pupil, school, staff

pytestmark = pytest.mark.django_db(transaction=True)
SCHOOL = 500_251
TEACHER = staff(700_251, ["Leerkracht"], ["G5"])
REGISTRY_PORT, LVS_PORT = 17250, 17251


@pytest.fixture
def outside(settings, registry_pki, monkeypatch, fast_retries):
    """(registry, lvs, up): both reference servers, started on our ports only inside ``up()``."""
    monkeypatch.setitem(app.conf, "task_always_eager", True)
    settings.LICENCE_REGISTRY_URL = f"https://127.0.0.1:{REGISTRY_PORT}{PREFIX}"
    settings.LICENCE_REGISTRY_CLIENT_CERT = str(registry_pki.client)
    settings.LICENCE_REGISTRY_CLIENT_KEY = ""
    settings.LICENCE_REGISTRY_CA_BUNDLE = str(registry_pki.ca)
    settings.LICENCE_REGISTRY_RETRY_BASE_SECONDS = 0
    settings.LICENCE_REGISTRY_RECONCILE_TRIES = 2
    registry, lvs = ReferenceRegistry(seed=25), ReferenceLvs({LVS_KEY}, seed=25)

    @contextmanager
    def up():
        with registry_running(registry, registry_pki, port=REGISTRY_PORT), lvs_running(lvs, port=LVS_PORT):
            yield

    return registry, lvs, up


def night(tmp_path: Path, *pupil_ids: int):
    pupils = [pupil(i, "G5", f"Kind{i}") for i in pupil_ids]
    run, _ = import_feed(tmp_path, [school(SCHOOL, groups=[group("G5", "Groep 5")], staff=[TEACHER], pupils=pupils)])
    return run


def test_a_night_without_registry_and_lvs_loses_nothing_and_both_catch_up(tmp_path, outside):
    registry, lvs, up = outside
    with up():
        night(tmp_path, 1, 2)
        the_school = School.objects.get(basispoort_id=SCHOOL)
        licence = make_licence(the_school, make_product("reken-5"))
        GroupLink.objects.create(licence=licence, group=Group.objects.get(las_key="G5"), school=the_school)
        link = make_result_link(the_school, make_supplier("Momento", f"http://127.0.0.1:{LVS_PORT}/uwlr"))
        night(tmp_path, 1, 2, 4)  # a change: its push is what makes the registry know the link
        assert registry.sets()[(SCHOOL, "reken-5")] == {1, 2, 4, 700_251}

    # The night, with both gone.
    run = night(tmp_path, 2, 3, 4)  # 1 left, 3 arrived
    assert run.status == ImportRunStatus.FINISHED
    store(list(Pupil.objects.filter(school=the_school, active=True)), 30)
    tasks.export_results()  # the 15-minute export: the LVS does not answer
    tasks.reconcile_registry()  # 03:00: neither does the registry
    assert registry.sets()[(SCHOOL, "reken-5")] == {1, 2, 4, 700_251}, "nothing reached it"
    assert RegistrySchool.objects.get(school=the_school).dirty_since is not None
    assert lvs.stored == {}

    # Morning: both answer again; the catch-up jobs of the schedule bring them up to date.
    with up():
        tasks.export_results_catch_up()
        tasks.reconcile_registry()
        assert registry.sets()[(SCHOOL, "reken-5")] == {2, 3, 4, 700_251}
        assert len(lvs.stored) == 30
    assert RegistrySchool.objects.get(school=the_school).dirty_since is None
    link.refresh_from_db()
    assert link.failed_runs == 0
