""" "Mijn scholen" keeps each school's finished card (and its attention count for "Kies je school")
under everything it shows (portal/cards.py): a second visit builds no card and reads nothing but
the stamps, and each thing that changes a card shows on the next visit, rebuilding only that
school's card."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from integrations.models import LinkStatus, LvsSupplier, RegistrySchool, ResultLink
from licenses.actions import assign_seat, link_groups
from licenses.models import LicenceKind
from portal.cards import school_cards
from roster.models import HeldNight, HoldDecision, ImportRun, Role, School, SchoolImportResult, SchoolResultStatus
from roster.school_year import next_school_year, school_year_of
from tests.factories import (
    appoint,
    login_as,
    make_group,
    make_licence,
    make_product,
    make_pupil,
    make_school,
    make_staff,
)
from tests.lvs_helpers import make_result_link

pytestmark = pytest.mark.django_db


@pytest.fixture
def schools() -> list[School]:
    return [make_school("De Esdoorn", "77EE"), make_school("Aan de Aa", "78EE")]


def card(schools: list[School], school: School, today: dt.date | None = None) -> str:
    (found,) = [c for c in school_cards(schools, today) if c.school == school]
    return found.html


def the_cards(response) -> str:
    html = response.content.decode()
    return html[html.index('<ol class="my-schools">') : html.index("</ol>")]


def night(school: School, day: dt.date, status: str) -> SchoolImportResult:
    run = ImportRun.objects.create(trigger="nacht", source="test")
    result = SchoolImportResult.objects.create(
        run=run, school=school, basispoort_id=school.basispoort_id, status=status
    )
    at = timezone.make_aware(dt.datetime.combine(day, dt.time(2, 5)))
    SchoolImportResult.objects.filter(pk=result.pk).update(finished_at=at)
    return result


def test_the_second_visit_builds_no_card_and_reads_only_the_stamps(client, django_assert_num_queries, built):
    anouk = make_staff("Anouk", "Smit")
    for n in range(3):
        school = make_school(f"School {n}", f"{n:02d}QQ")
        appoint(anouk, school, Role.ICT_COORDINATOR)
        make_licence(school, make_product(f"p{n}"))
    login_as(client, anouk)
    first = the_cards(client.get(reverse("my_schools")))
    assert len(built) == 3
    # session, user, the coordinator's schools, their page stamps, the stamps of everything else
    with django_assert_num_queries(5):
        second = the_cards(client.get(reverse("my_schools")))
    assert len(built) == 3
    assert second == first
    with django_assert_num_queries(6):  # "Kies je school": and the schools this person works at
        client.get(reverse("choose_school"))
    assert len(built) == 3


def test_a_failed_night_shows_and_only_its_school_is_built_again(schools, built):
    school, _other = schools
    night(school, timezone.localdate(), SchoolResultStatus.IMPORTED)
    assert "1 gelukt" in card(schools, school)
    built.clear()
    night(school, timezone.localdate(), SchoolResultStatus.FAILED)
    assert "laatste nacht mislukt" in card(schools, school)
    assert built == [school.pk]
    assert school_cards(schools)[0].school == school  # needing most first
    assert school_cards(schools)[0].count == 1


def test_a_retried_chunk_rewriting_a_nights_result_shows(schools):
    school, _other = schools
    result = night(school, timezone.localdate(), SchoolResultStatus.FAILED)
    assert "laatste nacht mislukt" in card(schools, school)
    SchoolImportResult.objects.filter(pk=result.pk).update(status=SchoolResultStatus.IMPORTED)
    assert "mislukt" not in card(schools, school)


def test_a_held_night_shows_and_goes_once_decided(schools):
    school, _other = schools
    assert "tegengehouden" not in card(schools, school)
    hold = HeldNight.objects.create(school=school, held_at=timezone.now(), reasons=["pupils_leave"])
    assert reverse("held_night", args=[school.pk, hold.pk]) in card(schools, school)
    HeldNight.objects.filter(pk=hold.pk).update(decided_at=timezone.now(), decision=HoldDecision.DISCARDED)
    assert reverse("held_night", args=[school.pk, hold.pk]) not in card(schools, school)


def test_a_result_link_refused_and_its_supplier_renamed_show(schools):
    school, _other = schools
    link = make_result_link(school)
    ResultLink.objects.filter(pk=link.pk).update(status=LinkStatus.ACTIVE)
    assert "resultaatkoppeling" not in card(schools, school)
    ResultLink.objects.filter(pk=link.pk).update(status=LinkStatus.KEY_REFUSED)
    assert f"niet actief: {link.supplier.name}" in card(schools, school)
    LvsSupplier.objects.filter(pk=link.supplier_id).update(name="Momento Nieuw")
    assert "niet actief: Momento Nieuw" in card(schools, school)
    ResultLink.objects.filter(pk=link.pk).update(withdrawn_at=timezone.now())
    assert "resultaatkoppeling" not in card(schools, school)


def test_the_registry_status_shows(schools, settings):
    school, _other = schools
    RegistrySchool.objects.create(school=school, certificate_refused=True, dirty_since=timezone.now())
    settings.LICENCE_REGISTRY_URL = ""
    assert "certificaat" not in card(schools, school)
    settings.LICENCE_REGISTRY_URL = "https://registry.invalid/"
    assert "certificaat" in card(schools, school)
    RegistrySchool.objects.filter(school=school).update(
        certificate_refused=False, dirty_since=None, last_success_at=timezone.now()
    )
    assert "certificaat" not in card(schools, school)


def test_a_licence_linked_to_its_missing_group_shows(schools):
    school, _other = schools
    licence = make_licence(school, make_product("taal-digi", year_levels=("4",)))
    linked, other = make_group(school, "Groep 4a", "4"), make_group(school, "Groep 4b", "4")
    link_groups(school=school, licence_id=licence.pk, group_ids=[linked.pk], actor=None)
    assert "niet gekoppeld aan alle groepen" in card(schools, school)
    link_groups(school=school, licence_id=licence.pk, group_ids=[other.pk], actor=None)
    assert "niet gekoppeld aan alle groepen" not in card(schools, school)


def test_a_new_group_of_a_licences_year_level_shows(schools):
    school, _other = schools
    licence = make_licence(school, make_product("taal-digi", year_levels=("4",)))
    linked = make_group(school, "Groep 4a", "4")
    link_groups(school=school, licence_id=licence.pk, group_ids=[linked.pk], actor=None)
    assert "niet gekoppeld aan alle groepen" not in card(schools, school)
    make_group(school, "Groep 4b", "4")  # as the back office or a script saves it
    assert "niet gekoppeld aan alle groepen" in card(schools, school)


def test_a_product_given_another_year_level_shows(schools):
    school, _other = schools
    product = make_product("taal-digi", year_levels=("4",))
    licence = make_licence(school, product)
    linked = make_group(school, "Groep 4", "4")
    make_group(school, "Groep 5", "5")
    link_groups(school=school, licence_id=licence.pk, group_ids=[linked.pk], actor=None)
    assert "niet gekoppeld aan alle groepen" not in card(schools, school)
    product.year_levels = ["4", "5"]
    product.save()  # the catalogue, edited in the back office
    assert "niet gekoppeld aan alle groepen" in card(schools, school)


def test_a_seat_taken_shows(schools):
    school, _other = schools
    group = make_group(school, "Groep 5", "5")
    pupils = [make_pupil(school, group, last_name=f"Kind {n}") for n in range(2)]
    licence = make_licence(school, make_product("lees-plus", year_levels=("5",)), LicenceKind.PER_PUPIL, seats=2)
    assign_seat(school=school, licence_id=licence.pk, pupil_id=pupils[0].pk, actor=None)
    assert "1 van 2 in gebruik" in card(schools, school)
    assign_seat(school=school, licence_id=licence.pk, pupil_id=pupils[1].pk, actor=None)
    html = card(schools, school)
    assert "2 van 2 in gebruik" in html
    assert "geen plaats meer" in html


def test_a_licence_of_next_year_shows(schools):
    school, _other = schools
    assert "nog niet gekoppeld" not in card(schools, school)
    make_licence(school, make_product("reken-digi"), school_year=next_school_year(school_year_of(timezone.localdate())))
    assert "nog niet gekoppeld" in card(schools, school)


def test_the_date_passing_thirty_days_before_the_end_shows(schools):
    school, _other = schools
    make_licence(school, make_product("reken-toets"), school_year="2026-2027")
    assert "loopt af" not in card(schools, school, dt.date(2027, 6, 30))
    assert "loopt af op 31-07-2027" in card(schools, school, dt.date(2027, 7, 1))


def test_a_renamed_school_shows(schools):
    school, _other = schools
    assert "De Esdoorn" in card(schools, school)
    School.objects.filter(pk=school.pk).update(name="De Eik")
    school.refresh_from_db()
    assert "De Eik" in card(schools, school)


def test_each_language_has_its_own_card(schools):
    school, _other = schools
    assert "Niets vraagt aandacht." in card(schools, school)
    with override("en"):
        assert "Nothing needs attention." in card(schools, school)
    assert "Niets vraagt aandacht." in card(schools, school)
