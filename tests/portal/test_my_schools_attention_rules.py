"""Each attention rule of "Mijn scholen" (portal/attention.py) at its boundary: one side shows the
mark, the other does not. Marks link to the place in that school's Beheer where it is fixed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.models import LinkStatus, RegistrySchool
from licenses.models import GroupLink, LicenceKind, Seat
from portal.attention import attention_of_schools
from roster.models import HeldNight, HoldDecision, ImportRun, SchoolImportResult, SchoolResultStatus
from roster.school_year import next_school_year, school_year_of
from tests.factories import make_group, make_licence, make_product, make_pupil, make_school
from tests.lvs_helpers import make_result_link

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 7)


@pytest.fixture
def school():
    return make_school("De Esdoorn", "77EE")


def marks(school, today=TODAY, rule=None):
    (item,) = attention_of_schools([school], today)
    return [mark for mark in item.marks if rule is None or mark.rule == rule]


def night(school, day: dt.date, status: str) -> None:
    run = ImportRun.objects.create(trigger="nacht", source="test")
    result = SchoolImportResult.objects.create(
        run=run, school=school, basispoort_id=school.basispoort_id, status=status
    )
    at = timezone.make_aware(dt.datetime.combine(day, dt.time(2, 5)))
    SchoolImportResult.objects.filter(pk=result.pk).update(finished_at=at)


def test_a_failed_last_night_is_a_mark_linking_to_the_import_on_beheer(school):
    night(school, TODAY - dt.timedelta(days=1), SchoolResultStatus.IMPORTED)
    night(school, TODAY, SchoolResultStatus.FAILED)
    (mark,) = marks(school, rule="failed_nights")
    assert "laatste nacht mislukt" in mark.text
    assert mark.url == reverse("beheer_home", args=[school.pk]) + "#import-titel"


def test_a_failure_followed_by_a_good_night_is_fixed(school):
    night(school, TODAY - dt.timedelta(days=1), SchoolResultStatus.FAILED)
    night(school, TODAY, SchoolResultStatus.UNCHANGED)
    assert marks(school, rule="failed_nights") == []


def test_failed_nights_in_a_row_are_counted_and_the_strip_has_thirty_nights(school):
    night(school, TODAY - dt.timedelta(days=30), SchoolResultStatus.FAILED)  # just outside the strip
    night(school, TODAY - dt.timedelta(days=29), SchoolResultStatus.FAILED)
    night(school, TODAY - dt.timedelta(days=2), SchoolResultStatus.FAILED)
    night(school, TODAY, SchoolResultStatus.FAILED)
    (mark,) = marks(school, rule="failed_nights")
    assert "3 nachten op rij" in mark.text
    (item,) = attention_of_schools([school], TODAY)
    assert len(item.facts.nights) == 30
    assert item.facts.nights[0].day == TODAY - dt.timedelta(days=29)
    assert dict(item.night_counts) == {"mislukt": 3, "geen import": 27}


def test_an_open_held_night_is_a_mark_linking_to_its_decision_and_a_hollow_strip_mark(school):
    night(school, TODAY, SchoolResultStatus.HELD)
    hold = HeldNight.objects.create(school=school, held_at=timezone.now(), reasons=["pupils_leave"])
    (mark,) = marks(school, rule="held_night")
    assert mark.text.startswith("De gegevens van vannacht zijn tegengehouden")
    assert mark.url == reverse("held_night", args=[school.pk, hold.pk])
    (item,) = attention_of_schools([school], TODAY)
    assert item.facts.nights[-1].words == "tegengehouden"


@pytest.mark.parametrize("decision", [HoldDecision.APPLIED, HoldDecision.DISCARDED, HoldDecision.RESOLVED])
def test_a_decided_held_night_is_no_mark(school, decision):
    HeldNight.objects.create(
        school=school, held_at=timezone.now(), reasons=["pupils_leave"], decided_at=timezone.now(), decision=decision
    )
    assert marks(school, rule="held_night") == []


def test_a_group_licence_missing_a_group_of_its_year_level(school):
    product = make_product("taal-digi", year_levels=("4",))
    licence = make_licence(school, product, school_year=school_year_of(TODAY))
    linked, other = make_group(school, "Groep 4a", "4"), make_group(school, "Groep 4b", "4")
    make_group(school, "Groep 6", "6")  # not a level of the product: never a gap
    GroupLink.objects.create(licence=licence, group=linked, school=school)
    (mark,) = marks(school, rule="groups_without_licence")
    assert mark.url == reverse("licences_per_group", args=[school.pk])
    GroupLink.objects.create(licence=licence, group=other, school=school)
    assert marks(school, rule="groups_without_licence") == []


def test_a_per_pupil_licence_with_its_last_seat_taken(school):
    group = make_group(school, "Groep 5", "5")
    pupils = [make_pupil(school, group, last_name=f"Kind {n}") for n in range(2)]
    licence = make_licence(
        school,
        make_product("lees-plus", year_levels=("5",)),
        LicenceKind.PER_PUPIL,
        seats=2,
        school_year=school_year_of(TODAY),
    )
    Seat.objects.create(licence=licence, pupil=pupils[0], school=school)
    assert marks(school, rule="no_seats_left") == []
    Seat.objects.create(licence=licence, pupil=pupils[1], school=school)
    (mark,) = marks(school, rule="no_seats_left")
    assert mark.url == reverse("licences_per_pupil", args=[school.pk])
    (item,) = attention_of_schools([school], TODAY)
    assert (item.facts.seats_used, item.facts.seats_bought, item.seats_percent) == (2, 2, 100)


@pytest.mark.parametrize(
    ("today", "shown"),
    [
        (dt.date(2027, 6, 30), False),  # 31 days before 31 July
        (dt.date(2027, 7, 1), True),  # 30 days before
        (dt.date(2027, 7, 31), True),  # the last day
    ],
)
def test_licences_ending_within_thirty_days(school, today, shown):
    make_licence(school, make_product("reken-toets"), school_year=school_year_of(today))
    found = marks(school, today, rule="ending_soon")
    assert bool(found) is shown
    if shown:
        assert "31-07-2027" in found[0].text
        assert found[0].url == reverse("licence_new_year", args=[school.pk])


def test_next_years_licences_still_unlinked(school):
    group = make_group(school, "Groep 4", "4")
    licence = make_licence(school, make_product("reken-digi"), school_year=next_school_year(school_year_of(TODAY)))
    (mark,) = marks(school, rule="next_year_unlinked")
    assert next_school_year(school_year_of(TODAY)) in mark.text
    assert mark.url == reverse("licence_new_year", args=[school.pk])
    GroupLink.objects.create(licence=licence, group=group, school=school)
    assert marks(school, rule="next_year_unlinked") == []


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        (LinkStatus.ACTIVE, False),
        (LinkStatus.CHECKING, False),
        (LinkStatus.KEY_REFUSED, True),
        (LinkStatus.UNREACHABLE, True),
    ],
)
def test_result_links_that_are_not_active(school, status, shown):
    link = make_result_link(school)
    link.status = status
    link.save()
    found = marks(school, rule="result_links_not_active")
    assert bool(found) is shown
    if shown:
        assert link.supplier.name in found[0].text
        assert found[0].url == reverse("resultlinks", args=[school.pk])


def test_the_portal_status_only_when_the_registry_needs_the_coordinator(school, settings):
    settings.LICENCE_REGISTRY_URL = ""
    RegistrySchool.objects.create(school=school, certificate_refused=True, dirty_since=timezone.now())
    assert marks(school, rule="portal_status") == []
    settings.LICENCE_REGISTRY_URL = "https://registry.invalid/"
    (mark,) = marks(school, rule="portal_status")
    assert "certificaat" in mark.text
    assert mark.url == reverse("beheer_home", args=[school.pk]) + "#basispoort-titel"
    RegistrySchool.objects.filter(school=school).update(
        certificate_refused=False, dirty_since=None, last_success_at=timezone.now()
    )
    assert marks(school, rule="portal_status") == []


def test_schools_needing_most_come_first(school):
    calm = make_school("Aan de Aa", "78EE")
    night(school, TODAY, SchoolResultStatus.FAILED)
    assert [item.school for item in attention_of_schools([calm, school], TODAY)] == [school, calm]
