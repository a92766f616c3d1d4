"""The licence pages keep their rendered cards between requests, yet every change shows at once.

Each test renders a page (so its cards are cached), makes one kind of change through the path
that makes it in real life, renders again and finds the change.
"""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from licenses.models import GroupLink, LicenceKind, Seat
from licenses.new_year import build_plan
from roster.models import Pupil, Role, School, Staff
from tests.factories import back_office_login, login_as, make_licence, make_product
from tests.new_year_world import build_moved_world
from tests.roster_feed import group, import_feed, pupil, school, staff

pytestmark = pytest.mark.django_db


def page(client, name: str, school_pk: int) -> str:
    response = client.get(reverse(name, args=[school_pk]))
    assert response.status_code == 200
    return response.content.decode()


def queries_of(client, name: str, school_pk: int) -> int:
    with CaptureQueriesContext(connection) as ctx:
        page(client, name, school_pk)
    return len(ctx.captured_queries)


@pytest.fixture
def coordinator(client, world):
    return login_as(client, world.coordinator_a)


def test_a_second_visit_comes_from_the_cache(coordinator, world, licences):
    """The premise of every test below: without a change, the cards are not rebuilt."""
    for name in ("licences_per_group", "licences_per_pupil", "licence_new_year"):
        cold = queries_of(coordinator, name, world.school_a.pk)
        warm = queries_of(coordinator, name, world.school_a.pk)
        assert warm < cold, name


def test_linking_a_group_shows(coordinator, world, licences):
    licence = licences.group_licence
    before = page(coordinator, "licences_per_group", world.school_a.pk)
    assert 'Ontkoppelen<span class="visually-hidden"> Groep 4a' not in before
    coordinator.post(
        reverse("licence_link_groups", args=[world.school_a.pk, licence.pk]), {"group": licences.group_4a.pk}
    )
    after = page(coordinator, "licences_per_group", world.school_a.pk)
    assert 'Ontkoppelen<span class="visually-hidden"> Groep 4a' in after


def test_unlinking_a_group_shows(coordinator, world, licences):
    licence = licences.group_licence
    GroupLink.objects.create(licence=licence, group=licences.group_4a, school=world.school_a)
    assert 'Ontkoppelen<span class="visually-hidden"> Groep 4a' in page(
        coordinator, "licences_per_group", world.school_a.pk
    )
    coordinator.post(reverse("licence_unlink_group", args=[world.school_a.pk, licence.pk, licences.group_4a.pk]))
    assert 'Ontkoppelen<span class="visually-hidden"> Groep 4a' not in page(
        coordinator, "licences_per_group", world.school_a.pk
    )


def test_assigning_a_seat_shows(coordinator, world, licences):
    licence, child = licences.pupil_licence, licences.pupils[3]
    before = page(coordinator, "licences_per_pupil", world.school_a.pk)
    assert "5 van 5 beschikbaar" in before and "Jansen, Kind3" not in before
    coordinator.post(reverse("licence_assign_seat", args=[world.school_a.pk, licence.pk]), {"pupil": child.pk})
    after = page(coordinator, "licences_per_pupil", world.school_a.pk)
    assert "4 van 5 beschikbaar" in after and "Jansen, Kind3" in after


def test_releasing_a_seat_shows(coordinator, world, licences):
    licence, child = licences.pupil_licence, licences.pupils[3]
    Seat.objects.create(licence=licence, pupil=child, school=world.school_a)
    assert "Jansen, Kind3" in page(coordinator, "licences_per_pupil", world.school_a.pk)
    coordinator.post(reverse("licence_release_seat", args=[world.school_a.pk, licence.pk, child.pk]))
    after = page(coordinator, "licences_per_pupil", world.school_a.pk)
    assert "Jansen, Kind3" not in after and "5 van 5 beschikbaar" in after


def test_the_roster_import_shows(tmp_path, client):
    """A child with a seat is renamed and moves to another group in the school administration."""
    coordinator = staff(700_301, ["ICTCoordinator"])
    groups = [group("G5", "Groep 5"), group("G6", "Groep 6", jaargroep="6")]
    import_feed(tmp_path, [school(500_301, groups=groups, staff=[coordinator], pupils=[pupil(1, "G5", "Sem", "Kok")])])
    the_school = School.objects.get(basispoort_id=500_301)
    licence = make_licence(the_school, make_product("lezen-plus"), LicenceKind.PER_PUPIL, seats=3)
    Seat.objects.create(licence=licence, pupil=Pupil.objects.get(basispoort_id=1), school=the_school)
    login_as(client, Staff.objects.get(basispoort_id=700_301))
    before = page(client, "licences_per_pupil", the_school.pk)
    assert "Kok, Sem</td><td>Groep 5" in before

    import_feed(tmp_path, [school(500_301, groups=groups, staff=[coordinator], pupils=[pupil(1, "G6", "Sem", "Mol")])])
    after = page(client, "licences_per_pupil", the_school.pk)
    assert "Mol, Sem</td><td>Groep 6" in after and "Kok, Sem" not in after


def test_a_back_office_licence_edit_shows(client, world, licences):
    """The publisher corrects the number of seats bought in the Django admin."""
    licence = licences.pupil_licence
    login_as(client, world.coordinator_a)
    assert "5 van 5 beschikbaar" in page(client, "licences_per_pupil", world.school_a.pk)

    back_office = type(client)()
    back_office_login(back_office)
    response = back_office.post(
        reverse("admin:licenses_licence_change", args=[licence.pk]),
        {
            "school": world.school_a.pk,
            "product": licence.product.pk,
            "school_year": licence.school_year,
            "kind": LicenceKind.PER_PUPIL,
            "seats": 12,
            "order_reference": "",
        },
    )
    assert response.status_code == 302
    assert "12 van 12 beschikbaar" in page(client, "licences_per_pupil", world.school_a.pk)


def test_a_back_office_product_rename_shows_at_every_school(client, world, licences):
    """The catalogue is shared: a renamed product shows on every school's pages."""
    product = licences.group_licence.product
    login_as(client, world.coordinator_a)
    assert "Rekenroute Digitaal" not in page(client, "licences_per_group", world.school_a.pk)

    back_office = type(client)()
    back_office_login(back_office)
    response = back_office.post(
        reverse("admin:licenses_product_change", args=[product.pk]),
        {
            "method": product.method.pk,
            "code": product.code,
            "name": "Rekenroute Digitaal",
            "product_type": product.product_type,
            "year_levels": '["4", "5"]',
        },
    )
    assert response.status_code == 302
    assert "Rekenroute Digitaal" in page(client, "licences_per_group", world.school_a.pk)


def test_rotating_the_field_keys_renders_every_card_again(coordinator, world, licences, settings):
    """``rotate_field_keys`` drops everything rendered before it; what is rendered after is the same page."""
    before = page(coordinator, "licences_per_pupil", world.school_a.pk)
    warm = queries_of(coordinator, "licences_per_pupil", world.school_a.pk)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *settings.FIELD_ENCRYPTION_KEYS]
    call_command("rotate_field_keys")
    with CaptureQueriesContext(connection) as ctx:
        after = page(coordinator, "licences_per_pupil", world.school_a.pk)
    assert len(ctx.captured_queries) > warm
    assert after.count("beschikbaar") == before.count("beschikbaar")


def test_the_language_of_the_cards_follows_the_person(coordinator, world, licences):
    """Dutch and English are cached apart: switching language never shows the other one's cards."""
    assert "5 van 5 beschikbaar" in page(coordinator, "licences_per_pupil", world.school_a.pk)
    coordinator.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = page(coordinator, "licences_per_pupil", world.school_a.pk)
    assert "5 of 5 available" in english and "beschikbaar" not in english
    coordinator.post(reverse("set_language"), {"language": "nl", "next": "/"})
    assert "5 van 5 beschikbaar" in page(coordinator, "licences_per_pupil", world.school_a.pk)


def test_the_cards_are_per_school(client, world, licences):
    """A coordinator of two schools sees each school's own cards."""
    login_as(client, world.coordinator_ab)
    make_licence(world.school_b, make_product("taal-b"), LicenceKind.PER_PUPIL, seats=9)
    a = page(client, "licences_per_pupil", world.school_a.pk)
    b = page(client, "licences_per_pupil", world.school_b.pk)
    assert "5 van 5 beschikbaar" in a and "9 van 9" not in a
    assert "9 van 9 beschikbaar" in b and "5 van 5" not in b


def test_the_date_is_part_of_the_key(coordinator, world, licences, monkeypatch):
    """A new school year starts at midnight: yesterday's cards are not served today."""
    before = page(coordinator, "licences_per_pupil", world.school_a.pk)
    assert "reken-plus" in before
    next_year = timezone.localdate() + dt.timedelta(days=366)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: next_year)
    assert "reken-plus" not in page(coordinator, "licences_per_pupil", world.school_a.pk)


def test_applying_the_new_school_year_shows(tmp_path, client):

    moved = build_moved_world(tmp_path)
    login_as(
        client,
        Staff.objects.filter(appointments__school=moved.school, appointments__roles__role=Role.ICT_COORDINATOR).first(),
    )
    before = page(client, "licence_new_year", moved.school.pk)
    assert before.count('name="voorstel"') > 0
    client.post(
        reverse("licence_new_year", args=[moved.school.pk]), {"voorstel": sorted(build_plan(moved.school).proposals())}
    )
    after = page(client, "licence_new_year", moved.school.pk)
    assert after.count('name="voorstel"') == 0
    assert "Er is niets meer voor te stellen" in after
