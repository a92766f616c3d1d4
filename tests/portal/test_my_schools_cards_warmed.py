"""Beat warms the "Mijn scholen" cards after the night's work (portal.cards.warm): the morning's
first visit finds every card kept and builds none; a school without an ict-coördinator today,
or only an ended one, is left alone; a card changed after the warming is still built again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from portal import cards as cards_module
from portal.tasks import warm_school_cards
from roster.models import Role
from tests.factories import appoint, login_as, make_licence, make_product, make_school, make_staff

pytestmark = pytest.mark.django_db


def test_after_the_warming_the_first_visit_builds_no_card(client, built, monkeypatch):
    monkeypatch.setattr(cards_module, "WARM_BATCH", 2)  # three schools: two batches
    anouk = make_staff("Anouk", "Smit")
    schools = [make_school(f"School {n}", f"{n:02d}WW") for n in range(3)]
    for school in schools:
        appoint(anouk, school, Role.ICT_COORDINATOR)
        make_licence(school, make_product(f"w{school.pk}"))
    teachers_only = make_school("Alleen leerkrachten", "09WW")
    appoint(make_staff("Bram", "Visser"), teachers_only, Role.TEACHER)
    ended = make_school("Oud", "08WW")
    appoint(make_staff("Cor", "Vos"), ended, Role.ICT_COORDINATOR, end_date=timezone.localdate() - dt.timedelta(1))

    warm_school_cards()

    assert sorted(built) == sorted(school.pk for school in schools)
    built.clear()
    login_as(client, anouk)
    response = client.get(reverse("my_schools"))
    assert response.status_code == 200
    assert built == []
    for school in schools:
        assert school.name in response.content.decode()


def test_a_change_after_the_warming_still_builds_that_card(client, built):
    anouk = make_staff("Anouk", "Smit")
    schools = [make_school(f"School {n}", f"{n:02d}VV") for n in range(2)]
    for school in schools:
        appoint(anouk, school, Role.ICT_COORDINATOR)
    product = make_product("nieuw")  # the catalogue is on every card's key
    warm_school_cards()
    built.clear()
    make_licence(schools[0], product)
    login_as(client, anouk)
    client.get(reverse("my_schools"))
    assert built == [schools[0].pk]
