"""An unchanged night takes no row locks on the registry's sets (a coordinator's push is never
kept waiting by it); a school the registry is out of step with is still planned under its locks."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations.registry import sync
from licenses import actions
from tests.factories import make_group, make_licence, make_product, make_pupil, make_school

pytestmark = pytest.mark.django_db


def school_with_a_linked_group(n: int, product):
    school = make_school(f"De Regenboog {n}", f"{40 + n}RB", dependancecode="00")
    group = make_group(school, "Groep 6", "6")
    make_pupil(school, group, f"Noor{n}", "Smit")
    licence = make_licence(school, product)
    actions.link_groups(school=school, licence_id=licence.pk, group_ids=[group.pk], actor=None)
    return school


def locking(queries) -> list[str]:
    return [q["sql"] for q in queries if "FOR UPDATE" in q["sql"]]


def test_an_unchanged_night_locks_nothing_and_a_set_the_registry_lost_is_planned_and_sent(registry_settings):
    product = make_product()
    schools = [school_with_a_linked_group(n, product) for n in range(3)]
    assert sync.reconcile([s.pk for s in schools]).sends == 3

    with CaptureQueriesContext(connection) as queries:
        report = sync.reconcile([s.pk for s in schools])
    assert report.sends == 0 and not report.failed_schools
    assert locking(queries) == []

    lost = (schools[1].basispoort_id, product.code)
    del registry_settings.entries[lost]  # the registry lost one set behind our back
    del registry_settings._by_school[lost[0]][lost[1]]
    with CaptureQueriesContext(connection) as queries:
        report = sync.reconcile([s.pk for s in schools])
    assert report.sends == 1 and report.sent["ok"] == 1
    assert len(locking(queries)) == 1
    assert lost in registry_settings.sets()
