"""An unchanged night's reconciliation costs a fixed number of queries per chunk of schools, not
one per school: nine schools cost what three cost, and nothing is sent."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations.registry import sync
from licenses import actions
from tests.factories import make_group, make_licence, make_product, make_pupil, make_school

pytestmark = pytest.mark.django_db


def school_with_a_linked_group(n: int, product):
    school = make_school(f"De Regenboog {n}", f"{20 + n}RB", dependancecode="00")
    group = make_group(school, "Groep 6", "6")
    make_pupil(school, group, f"Noor{n}", "Smit")
    licence = make_licence(school, product)
    actions.link_groups(school=school, licence_id=licence.pk, group_ids=[group.pk], actor=None)
    return school


def unchanged_night(school_ids: list[int]) -> tuple[int, sync.Report]:
    with CaptureQueriesContext(connection) as queries:
        report = sync.reconcile(school_ids, chunk_size=50)
    return len(queries), report


def test_an_unchanged_night_costs_the_same_queries_for_three_schools_as_for_nine(registry_settings):
    product = make_product()
    schools = [school_with_a_linked_group(n, product).pk for n in range(9)]
    first = sync.reconcile(schools, chunk_size=50)
    assert first.sends == 9 and not first.failed_schools

    three, report_three = unchanged_night(schools[:3])
    nine, report_nine = unchanged_night(schools)

    assert report_three.sends == report_nine.sends == 0
    assert report_nine.schools == 9 and not report_nine.failed_schools
    assert nine == three, f"{three} queries for 3 schools, {nine} for 9"
