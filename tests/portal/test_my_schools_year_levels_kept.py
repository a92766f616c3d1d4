""" "Mijn scholen" keeps each school's pupils' year levels per group under the school's page stamp
(portal/attention.py): a change to the school's pupils shows on the next visit, and an unchanged
school is not read again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.attention import attention_of_schools
from roster.school_year import school_year_of
from tests.factories import make_group, make_licence, make_product, make_pupil, make_school

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 7)


def gaps(school) -> list[str]:
    (item,) = attention_of_schools([school], TODAY)
    return [mark.text for mark in item.marks if mark.rule == "groups_without_licence"]


def test_a_pupil_joining_a_combination_group_shows_on_the_next_visit():
    school = make_school("De Wilg", "66WW")
    combination = make_group(school, "Groep 4/5", "")  # no level of its own: its pupils' levels
    make_pupil(school, combination, jaargroep="4")
    make_licence(school, make_product("taal-5", year_levels=("5",)), school_year=school_year_of(TODAY))
    assert gaps(school) == []  # read from the pupils, and kept
    make_pupil(school, combination, jaargroep="5", last_name="Vos")
    assert len(gaps(school)) == 1


def test_an_unchanged_school_is_not_read_from_its_pupils_again():
    school = make_school("De Wilg", "66WW")
    make_pupil(school, make_group(school, "Groep 5", "5"))
    gaps(school)
    with CaptureQueriesContext(connection) as queries:
        gaps(school)
    assert not [query for query in queries if '"roster_pupil"' in query["sql"]]
