"""A pupil's `geboortedatum` from the feed is stored, changed and cleared with the pupil."""

from __future__ import annotations

import datetime as dt

import pytest

from roster.models import Pupil
from tests.roster_feed import group, import_feed, pupil, school, staff

pytestmark = pytest.mark.django_db
SCHOOL = 500_301


def night(tmp_path, birth_date):
    emma = pupil(1, "G5", geboortedatum=birth_date)
    import_feed(tmp_path, [school(SCHOOL, groups=[group("G5")], staff=[staff(700_301, ["Leerkracht"])], pupils=[emma])])
    return Pupil.objects.get(basispoort_id=1).birth_date


def test_the_birth_date_follows_the_feed(tmp_path):
    assert night(tmp_path, "2017-03-09") == dt.date(2017, 3, 9)
    assert night(tmp_path, "2017-03-10") == dt.date(2017, 3, 10)
    assert night(tmp_path, None) is None
