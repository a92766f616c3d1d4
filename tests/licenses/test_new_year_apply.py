"""Applying "Nieuw schooljaar": one action, all or nothing, audited, seat limits kept, idempotent."""

from __future__ import annotations

import gettext
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from audit.models import AuditEvent
from licenses.actions import Applied, LinkRefused, apply_new_year
from licenses.models import GroupLink, Licence, Seat
from licenses.new_year import build_plan
from licenses.new_year_views import summary
from roster.models import Pupil, Role, Staff
from tests.factories import login_as
from tests.new_year_world import build_moved_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def moved(tmp_path):
    return build_moved_world(tmp_path)


def coordinator_of(school) -> Staff:
    return Staff.objects.filter(appointments__school=school, appointments__roles__role=Role.ICT_COORDINATOR).first()


def target_links(world) -> tuple[int, int]:
    return (
        GroupLink.objects.filter(licence__school=world.school, licence__school_year=world.target).count(),
        Seat.objects.filter(licence__school=world.school, licence__school_year=world.target).count(),
    )


def test_the_coordinator_applies_all_but_one_with_one_button(moved, client):
    plan = build_plan(moved.school)
    keys = sorted(plan.proposals())
    skipped = next(k for k in keys if k.startswith("g-"))
    login_as(client, coordinator_of(moved.school))
    url = f"/school/{moved.school.pk}/beheer/licenties/nieuw-schooljaar/"
    response = client.post(url, {"voorstel": [k for k in keys if k != skipped]}, follow=True)
    groups = sum(1 for k in keys if k.startswith("g-")) - 1
    pupils = sum(1 for k in keys if k.startswith("p-"))
    assert target_links(moved) == (groups, pupils)
    text = response.content.decode()
    assert f"{groups} groepen en {pupils} leerlingen gekoppeld." in text
    _, licence_id, group_id = skipped.split("-")
    assert not GroupLink.objects.filter(licence_id=licence_id, group_id=group_id).exists()
    events = AuditEvent.objects.filter(licence__school_year=moved.target)
    assert events.count() == groups + pupils
    assert all(e.after["reason"] == "nieuw schooljaar" and "nieuw schooljaar" in e.subject for e in events)
    # The author is the roster person, whatever the login called them.
    assert {e.actor_label for e in events} == {coordinator_of(moved.school).full_name}

    # The same button again: nothing changes, and the page says so.
    again = client.post(url, {"voorstel": [k for k in keys if k != skipped]}, follow=True).content.decode()
    assert target_links(moved) == (groups, pupils)
    assert AuditEvent.objects.filter(licence__school_year=moved.target).count() == groups + pupils
    assert "er is niets veranderd" in again
    # Only the unticked proposal is left.
    assert set(build_plan(moved.school).proposals()) == {skipped}


def test_applying_is_all_or_nothing_when_seats_ran_out_meanwhile(moved):
    plan = build_plan(moved.school)
    keys = list(plan.proposals())
    plus = next(i for i in plan.licences if i.licence.product.code == "rekenroute-plus")
    # Another coordinator hands out the free seats to other children first.
    others = Pupil.objects.filter(school=moved.school, active=True).exclude(
        pk__in=[p.pupil.pupil_id for p in plus.pupils]
    )[: plus.seats_free]
    Seat.objects.bulk_create([Seat(licence=plus.licence, pupil=p, school=moved.school) for p in others])
    before = target_links(moved)
    with pytest.raises(LinkRefused):
        apply_new_year(school=moved.school, keys=keys, actor=None)
    assert target_links(moved) == before
    assert not AuditEvent.objects.filter(licence__school_year=moved.target, after__reason="nieuw schooljaar").exists()
    for licence in Licence.objects.filter(school=moved.school, school_year=moved.target, kind="per_kind"):
        assert licence.seats_taken.count() <= licence.seats


def test_nothing_is_applied_from_the_old_group_division(tmp_path):
    world = build_moved_world(tmp_path, move=False)
    with pytest.raises(LinkRefused, match="groepenindeling"):
        apply_new_year(school=world.school, keys=[], actor=None)


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hostile=st.lists(st.text(max_size=40), min_size=1, max_size=5))
def test_hostile_keys_are_refused_whole_and_change_nothing(moved, hostile):
    plan_keys = list(build_plan(moved.school).proposals())
    before = target_links(moved)
    try:
        apply_new_year(school=moved.school, keys=[*plan_keys[:3], *hostile], actor=None)
    except LinkRefused:
        assert target_links(moved) == before
    else:  # hypothesis found only real keys: then exactly those were linked
        assert set(hostile) <= set(plan_keys)
        Seat.objects.filter(licence__school_year=moved.target).delete()
        GroupLink.objects.filter(licence__school_year=moved.target).delete()


@pytest.mark.parametrize(
    ("groups", "pupils", "dutch", "english"),
    [
        (12, 41, "12 groepen en 41 leerlingen gekoppeld.", "12 groups and 41 pupils linked."),
        (1, 1, "1 groep en 1 leerling gekoppeld.", "1 group and 1 pupil linked."),
        (0, 2, "0 groepen en 2 leerlingen gekoppeld.", "0 groups and 2 pupils linked."),
    ],
)
def test_the_summary_uses_the_right_plurals_in_both_languages(groups, pupils, dutch, english):

    with translation.override("nl"):
        assert summary(Applied(groups, pupils)) == dutch
    with translation.override("en"):
        assert summary(Applied(groups, pupils)) == english
    # The compiled catalogue read by Python's own gettext (not Django's) says the same.
    mo = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.mo"
    with mo.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    assert catalogue.ngettext("%(count)d groep", "%(count)d groepen", groups) % {"count": groups} in english
