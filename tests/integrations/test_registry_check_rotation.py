"""With LICENCE_REGISTRY_CHECK_EVERY_NIGHTS a school whose sets the registry last confirmed is asked for
its digests only on its night of the rotation: each school once in that many nights, a change of ours
still sent the same night, a set changed on the registry's side repaired within the rotation."""

from __future__ import annotations

import datetime as dt

import pytest

from integrations.registry import sync
from licenses import actions
from licenses.models import GroupLink
from roster.school_year import school_year_of
from tests.factories import make_group, make_licence, make_product, make_pupil, make_school
from tests.registry_helpers import client_for

pytestmark = pytest.mark.django_db

EVERY = 7
FIRST_NIGHT = dt.date(2026, 11, 2)


def school_with_a_linked_group(n: int, product):
    school = make_school(f"De Regenboog {n}", f"{20 + n}RB", dependancecode="00")
    group = make_group(school, "Groep 6", "6")
    make_pupil(school, group, f"Noor{n}", "Smit")
    licence = make_licence(school, product)
    actions.link_groups(school=school, licence_id=licence.pk, group_ids=[group.pk], actor=None)
    return school


def night(n: int) -> dt.date:
    return FIRST_NIGHT + dt.timedelta(days=n)


def rotation_night(school) -> int:
    """The first night after the first whose rotation share holds this school."""
    return next(n for n in range(1, EVERY + 1) if school.pk % EVERY == night(n).toordinal() % EVERY)


def asked(registry, school) -> int:
    return sum(1 for method, path, _ in registry.log if method == "GET" and path == f"licenties/{school.basispoort_id}")


@pytest.fixture
def rotating(registry_settings, settings):
    settings.LICENCE_REGISTRY_CHECK_EVERY_NIGHTS = EVERY
    product = make_product()
    schools = [school_with_a_linked_group(n, product) for n in range(9)]
    first = sync.reconcile([s.pk for s in schools], today=night(0))
    assert first.sends == 9 and first.asked == 9  # never confirmed: every school is asked
    return registry_settings, schools


def test_an_unchanged_school_is_asked_once_in_each_rotation(rotating):
    registry, schools = rotating
    before = {s.pk: asked(registry, s) for s in schools}
    for n in range(1, EVERY + 1):
        report = sync.reconcile([s.pk for s in schools], today=night(n))
        assert report.sends == 0 and not report.failed_schools
        assert report.sets_compared == 9
    assert {s.pk: asked(registry, s) - before[s.pk] for s in schools} == {s.pk: 1 for s in schools}


def test_a_change_of_ours_is_sent_the_same_night_outside_the_schools_rotation(rotating):
    registry, schools = rotating
    school = schools[4]
    tonight = next(n for n in range(1, EVERY + 1) if n != rotation_night(school))
    GroupLink.objects.filter(school=school).delete()  # behind the push's back, as if every push were lost

    report = sync.reconcile([s.pk for s in schools], today=night(tonight))

    assert report.sends == 1
    assert registry.sets()[(school.basispoort_id, "reken-digi")] == set()


def test_a_set_changed_on_the_registrys_side_is_repaired_on_the_schools_night(rotating, registry_pki, settings):
    registry, schools = rotating
    school = schools[2]
    key = (school.basispoort_id, "reken-digi")
    ours = registry.sets()[key]
    year = school_year_of(night(0))
    drift = {
        "versie": registry.entries[key].versie + 5,
        "schooljaar": year,
        "geldigTot": f"{year[-4:]}-07-31",
        "product": {"naam": "x", "methode": "y", "productsoort": "z", "url": "https://x.example/"},
        "gebruikers": [{"id": 1, "eckid": None, "rol": "leerling"}],
    }
    client_for(settings.LICENCE_REGISTRY_URL, registry_pki).put_set(*key, drift)

    for n in range(1, rotation_night(school)):
        assert sync.reconcile([s.pk for s in schools], today=night(n)).sends == 0
        assert registry.sets()[key] == {1}  # not yet its night
    report = sync.reconcile([s.pk for s in schools], today=night(rotation_night(school)))

    assert report.sends == 1
    assert registry.sets()[key] == ours
