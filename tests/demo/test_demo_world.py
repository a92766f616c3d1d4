"""The demo world is realistic, deterministic and idempotent."""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.core.management import call_command

from demo.world import DEMO_COORDINATOR, DEMO_TEACHER, DEMO_TEACHER_COORDINATOR, generated_school
from licenses.models import GroupLink, Licence, LicenceKind, Seat
from roster.models import Appointment, Group, Pupil, Role, School

pytestmark = pytest.mark.django_db


def table_snapshot() -> dict[str, list]:
    """Every row of every project table, so a second run can be compared exactly.

    The import's own log (runs and per-school results) grows by one run each time, by design;
    the licence pages' stamps (``licenses.PageStamp``) are cache keys, replaced by every save."""
    snapshot = {}
    for label in ("roster", "licenses"):
        for model in apps.get_app_config(label).get_models():
            if model._meta.model_name in {"importrun", "schoolimportresult", "pagestamp"}:
                continue
            rows = model.objects.order_by("pk").values()
            snapshot[model._meta.label] = json.loads(json.dumps(list(rows), default=str))
    return snapshot


@pytest.fixture
def demo(tmp_path):
    call_command("demo_world", feed_dir=str(tmp_path / "feed"))
    return tmp_path / "feed"


def test_running_twice_changes_nothing(demo, tmp_path):
    before = table_snapshot()
    call_command("demo_world", feed_dir=str(demo))
    assert table_snapshot() == before


def test_the_folder_feed_is_written_in_basispoort_shape(demo):
    ids = json.loads((demo / "instellingen.json").read_text())
    assert len(ids) == 3
    roster = json.loads((demo / "instellingen" / f"{ids[0]}.json").read_text())
    assert {"groepen", "subgroepen", "leerlingen", "medewerkers", "actief", "metaResult"} <= roster.keys()
    details = json.loads((demo / "instellingen" / str(ids[0]) / "details.json").read_text())
    assert details["brincode"] == "12AB"


def test_personas_have_the_roles_the_readme_promises(demo):
    coordinator_schools = Appointment.objects.filter(
        staff__basispoort_id=DEMO_COORDINATOR.basispoort_id, roles__role=Role.ICT_COORDINATOR
    )
    assert coordinator_schools.count() == 2
    teacher = Appointment.objects.get(staff__basispoort_id=DEMO_TEACHER.basispoort_id)
    assert list(teacher.roles.values_list("role", flat=True)) == [Role.TEACHER]
    assert teacher.groups.get().name == "Groep 5"
    both = Appointment.objects.get(staff__basispoort_id=DEMO_TEACHER_COORDINATOR.basispoort_id)
    assert set(both.roles.values_list("role", flat=True)) == {Role.TEACHER, Role.ICT_COORDINATOR}


def test_the_world_is_realistic(demo):
    assert School.objects.count() == 3
    for school in School.objects.all():
        groups = Group.objects.filter(school=school, is_subgroup=False)
        levels = set(Pupil.objects.filter(school=school).values_list("jaargroep", flat=True))
        assert levels == {str(n) for n in range(1, 9)}
        assert groups.filter(name__contains="/").exists(), "a combination group"
        per_group = Pupil.objects.filter(school=school).count() / groups.count()
        assert 20 <= per_group <= 30
        assert all(a.groups.exists() for a in Appointment.objects.filter(school=school, roles__role=Role.TEACHER))
    assert Pupil.objects.exclude(infix="").exists(), "Dutch surnames with voorvoegsel"
    assert Licence.objects.filter(kind=LicenceKind.PER_GROUP).exists()
    assert Licence.objects.filter(kind=LicenceKind.PER_PUPIL).exists()
    assert GroupLink.objects.exists() and Seat.objects.exists()
    assert Licence.objects.filter(kind=LicenceKind.PER_GROUP, group_links__isnull=True).exists(), "work left to do"


def test_generated_schools_are_deterministic():
    assert generated_school(4321) == generated_school(4321)
    assert generated_school(4321).basispoort_id != generated_school(4322).basispoort_id
