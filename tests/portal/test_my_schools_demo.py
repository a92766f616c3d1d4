"""The demo world gives Sanne de Vries (De Regenboog and Het Kompas) something to see on every
rule of "Mijn scholen", and a second run of the demo adds nothing to it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from demo.world import DEMO_COORDINATOR, SCHOOL_B
from integrations.models import ResultLink
from licenses.models import Seat
from portal.attention import RULES, attention_of_schools
from roster.access import coordinated_schools
from roster.models import SchoolImportResult
from roster.school_year import school_year_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(tmp_path, settings):
    settings.LICENCE_REGISTRY_URL = "https://registry.invalid/rest/v1/"
    call_command("demo_world", feed_dir=str(tmp_path / "feed"))
    return tmp_path / "feed"


def _rules_seen(today: dt.date) -> set[str]:
    schools = coordinated_schools(DEMO_COORDINATOR.basispoort_id, today)
    assert len(schools) == 2
    return {mark.rule for item in attention_of_schools(schools, today) for mark in item.marks}


def test_sanne_sees_every_rule(demo):
    today = timezone.localdate()
    ends = dt.date(int(school_year_of(today)[5:]), 7, 31)
    seen = _rules_seen(today) | _rules_seen(ends - dt.timedelta(days=10))
    assert seen == {rule.__name__ for rule in RULES}


def test_a_second_run_adds_no_examples(demo):
    counts = (SchoolImportResult.objects.count(), Seat.objects.count(), ResultLink.objects.count())
    call_command("demo_world", feed_dir=str(demo))
    # The demo import itself records one more result per school; the failed night is added again
    # after it so Het Kompas's last night stays the failed one.
    assert (Seat.objects.count(), ResultLink.objects.count()) == counts[1:]
    last = SchoolImportResult.objects.filter(school__basispoort_id=SCHOOL_B).order_by("-finished_at", "-pk").first()
    assert last.status == "failed"
