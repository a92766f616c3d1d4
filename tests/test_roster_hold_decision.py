"""The coordinator decides on a held night: Beheer home says so, the page shows what would change,
"Toch verwerken" applies it through the importer under the import lock, "Negeren" keeps today's
data and the next night is compared again. POST only, CSRF, audited with the coordinator as actor."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditAction, AuditEvent
from licenses.models import DepartedSeat, LicenceKind, Seat
from roster.lock import acquire_lock, release_lock
from roster.models import HeldNight, HoldDecision, Pupil, School, Staff
from tests.factories import login_as, make_licence, make_product
from tests.roster_feed import group, import_feed, pupil, school, staff

pytestmark = pytest.mark.django_db
REGENBOOG = 500_261
ILSE = 700_261  # the ict-coördinator
PUPILS = list(range(1, 21))


def regenboog(pupils):
    return school(
        REGENBOOG,
        groups=[group("G5", "Groep 5")],
        pupils=[pupil(pid, "G5", first=f"Kind{pid}", last="Jansen") for pid in pupils],
        staff=[staff(ILSE, ["ICTCoordinator"]), staff(700_262, ["Leerkracht"], ["G5"])],
    )


@pytest.fixture
def held(tmp_path, client):
    """De Regenboog, whose last night dropped half its pupils; Ilse is logged in."""
    import_feed(tmp_path, [regenboog(PUPILS)])
    the_school = School.objects.get(basispoort_id=REGENBOOG)
    licence = make_licence(the_school, make_product(), kind=LicenceKind.PER_PUPIL, seats=2)
    Seat.objects.create(licence=licence, pupil=the_school.pupils.get(basispoort_id=2), school=the_school)
    import_feed(tmp_path, [regenboog(PUPILS[::2])])
    login_as(client, Staff.objects.get(basispoort_id=ILSE))
    return HeldNight.objects.get(school=the_school, decided_at__isnull=True)


def active_pupils() -> int:
    return Pupil.objects.filter(school__basispoort_id=REGENBOOG, active=True).count()


def test_beheer_home_says_the_night_was_held_and_the_page_shows_who_would_leave(
    held, client, django_assert_max_num_queries
):
    home = reverse("beheer_home", args=[held.school_id])
    with django_assert_max_num_queries(21):
        page = client.get(home).content.decode()
    assert "De gegevens van vannacht zijn tegengehouden" in page
    assert reverse("held_night", args=[held.school_id, held.pk]) in page
    details = client.get(reverse("held_night", args=[held.school_id, held.pk])).content.decode()
    assert "10 van de 20 leerlingen zouden vertrekken" in details
    assert "Kind2 Jansen" in details and "verliest de licentie voor reken-digi" in details
    assert "Kind1 Jansen" not in details
    assert "Toch verwerken" in details and "Negeren" in details


def test_toch_verwerken_applies_the_held_night_audited_as_the_coordinator(held, client):
    response = client.post(reverse("held_night_apply", args=[held.school_id, held.pk]))
    assert response.status_code == 302
    assert active_pupils() == 10
    assert not Seat.objects.filter(school_id=held.school_id).exists()
    assert DepartedSeat.objects.filter(school_id=held.school_id).count() == 1
    held.refresh_from_db()
    assert held.decision == HoldDecision.APPLIED and held.document == {}
    event = AuditEvent.objects.get(action=AuditAction.HELD_NIGHT_APPLIED)
    assert event.actor_label == "Ilse Bakker700261"
    assert event.after["leaving"] == 10
    # Deciding twice is refused with a message, and changes nothing.
    again = client.post(reverse("held_night_apply", args=[held.school_id, held.pk]), follow=True)
    assert "Over deze gegevens is al besloten" in again.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.HELD_NIGHT_APPLIED).count() == 1


def test_toch_verwerken_waits_for_a_running_import(held, client):
    assert acquire_lock("a-running-import")
    try:
        page = client.post(reverse("held_night_apply", args=[held.school_id, held.pk]), follow=True).content.decode()
    finally:
        release_lock("a-running-import")
    assert "worden op dit moment verwerkt" in page
    assert active_pupils() == 20
    held.refresh_from_db()
    assert held.is_open


def test_negeren_keeps_todays_data_and_the_next_night_is_compared_again(held, client, tmp_path):
    response = client.post(reverse("held_night_discard", args=[held.school_id, held.pk]))
    assert response.status_code == 302
    assert active_pupils() == 20
    held.refresh_from_db()
    assert held.decision == HoldDecision.DISCARDED
    assert AuditEvent.objects.get(action=AuditAction.HELD_NIGHT_DISCARDED).actor_label == "Ilse Bakker700261"
    home = client.get(reverse("beheer_home", args=[held.school_id])).content.decode()
    assert "De gegevens van vannacht zijn tegengehouden" not in home

    import_feed(tmp_path, [regenboog(PUPILS[::2])])
    assert HeldNight.objects.filter(school_id=held.school_id, decided_at__isnull=True).exists()
    assert active_pupils() == 20


def test_the_decisions_are_post_only_with_csrf(held):
    browser = Client(enforce_csrf_checks=True)
    login_as(browser, Staff.objects.get(basispoort_id=ILSE))
    for name in ("held_night_apply", "held_night_discard"):
        url = reverse(name, args=[held.school_id, held.pk])
        assert browser.get(url).status_code == 405
        assert browser.post(url).status_code == 403
    held.refresh_from_db()
    assert held.is_open
    assert active_pupils() == 20
