"""The Leerlingen tab finds a pupil the way a coordinator types the name (issue 28, point 9):
without accents or capitals ("Zoe" finds Zoë, "yilmaz" finds Yılmaz with its dotless ı), in
the list's own "achternaam, voornaam" form, and by the pupil number shown beside a shared name;
and it sorts and filters by group. On the demo's own names, on PostgreSQL and on SQLite."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from django.urls import reverse

from demo.world import DEMO_COORDINATOR, SCHOOL_A
from roster.models import Group, Pupil, School, Staff
from roster.naming import label_pupils
from tests.factories import login_as
from tests.servers import ROOT, clean_env

ROW = re.compile(r'<tr><th scope="row">([^<]+)</th><td>([^<]*)')


@pytest.fixture
def regenboog(demo_feed) -> School:
    return School.objects.get(basispoort_id=SCHOOL_A)


def found(client, school: School, **query) -> list[tuple[str, str]]:
    """(name as listed, group) of every row on the first page of the search."""
    login_as(client, Staff.objects.get(basispoort_id=DEMO_COORDINATOR.basispoort_id))
    response = client.get(reverse("beheer_leerlingen", kwargs={"school_id": school.pk}), query)
    assert response.status_code == 200
    return ROW.findall(response.content.decode())


def names(school: School, **filters) -> set[str]:
    return {p.sort_name for p in Pupil.objects.filter(school=school, active=True, **filters)}


def test_without_accents_or_capitals(regenboog, client):
    zoes = names(regenboog, first_name="Zoë")
    yilmazes = names(regenboog, last_name="Yılmaz")
    assert zoes and yilmazes, "the demo has both names"
    for typed in ("Zoe", "zoë", "ZOE"):
        assert {name for name, _group in found(client, regenboog, q=typed)} == zoes, typed
    for typed in ("yilmaz", "YILMAZ", "Yılmaz"):
        assert {name for name, _group in found(client, regenboog, q=typed)} == yilmazes, typed


def test_the_lists_own_surname_comma_first_name(regenboog, client):
    pupil = Pupil.objects.filter(school=regenboog, active=True, infix="").order_by("pk").first()
    rows = found(client, regenboog, q=pupil.sort_name.upper())
    assert rows and all(name.startswith(pupil.sort_name) for name, _group in rows), rows
    # Also the other way round, as people say it.
    assert pupil.sort_name in {n for n, _g in found(client, regenboog, q=f"{pupil.first_name} {pupil.last_name}")}


def test_the_pupil_number_beside_a_shared_name(regenboog, client):
    shared = next(
        pupil
        for group in Group.objects.filter(school=regenboog, is_subgroup=False)
        for pupil in label_pupils(Pupil.objects.filter(group=group, active=True))
        if "lln.nr." in pupil.label
    )
    tail = shared.label.split("…")[-1].rstrip(")")
    assert [name for name, _group in found(client, regenboog, q=tail)] == [shared.sort_name]
    # The whole label as the list shows it, copied from the group's details.
    assert [name for name, _group in found(client, regenboog, q=shared.label)] == [shared.sort_name]


def test_filter_by_group_and_sort_by_group(regenboog, client):
    group = Group.objects.get(school=regenboog, name="Groep 4")
    rows = found(client, regenboog, groep=str(group.pk))
    assert {g for _n, g in rows} == {"Groep 4"} and len(rows) == 25
    layout = ["Groep 1/2a", "Groep 1/2b", "Groep 3", "Groep 4", "Groep 5", "Groep 6", "Groep 7", "Groep 8"]
    by_group = [layout.index(g) for _n, g in found(client, regenboog, q="e", sorteer="groep")]
    assert by_group[0] == 0 and by_group == sorted(by_group) and by_group[-1] > 1


def test_an_unknown_group_is_said_and_all_pupils_shown(regenboog, client, django_assert_max_num_queries):
    login_as(client, Staff.objects.get(basispoort_id=DEMO_COORDINATOR.basispoort_id))
    url = reverse("beheer_leerlingen", kwargs={"school_id": regenboog.pk})
    with django_assert_max_num_queries(12):
        response = client.get(url, {"groep": "999999", "sorteer": "bestaat-niet"})
    assert len(ROW.findall(response.content.decode())) == 50
    assert "Die groep bestaat niet (meer) op deze school" in response.content.decode()


SEARCH_ON_SQLITE = f"""
import json
from roster.models import School
from roster.overview import search_pupils, pupils_by_id
school = School.objects.get(basispoort_id={SCHOOL_A})
print(json.dumps({{q: [p.sort_name for p in pupils_by_id(search_pupils(school, q))] for q in ("Zoe", "yilmaz")}}))
"""


def test_the_same_on_the_demos_sqlite(tmp_path):
    env = clean_env(BINGEL_VAR_DIR=str(tmp_path))
    for args in (["migrate", "--noinput"], ["demo_world"], ["shell", "-c", SEARCH_ON_SQLITE]):
        result = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
    assert "sqlite" in (tmp_path / "db.sqlite3").read_bytes()[:16].decode("ascii", "replace").lower()
    answers = json.loads(result.stdout.strip().splitlines()[-1])
    assert answers["Zoe"] and all(", Zoë" in name for name in answers["Zoe"])
    assert answers["yilmaz"] and all(name.startswith("Yılmaz, ") for name in answers["yilmaz"])
