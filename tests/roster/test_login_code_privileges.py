"""Least privilege for pupil login codes: everyone appointed to a group sees and prints its codes;
only the group's own Leerkracht and the school's coordinators change the method or a code.

One persona per roster role (roles come from the school administration's appointments).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from roster import login_codes
from roster.models import LoginMethod, Role
from tests.factories import appoint, login_as, make_pupil, make_staff

pytestmark = pytest.mark.django_db

# role held on an appointment that lists the group -> may change codes?
ROLES = {
    Role.TEACHER: True,
    Role.ICT_COORDINATOR: True,
    Role.IB_RT: False,
    Role.TRAINEE: False,
    Role.SUBSTITUTE: False,
}


@pytest.fixture
def group(world):
    group = world.school_a.groups.get(name="Groep 5")
    for n in range(3):
        make_pupil(world.school_a, group, f"Kind{n}", "Visser")
    login_codes.switch_group_method(group=group, method=LoginMethod.NUMBERS, actor=None)
    return group


def persona(world, group, role: str):
    staff = make_staff("Persoon", role)
    appoint(staff, world.school_a, role, groups=[group])
    return staff


def urls(world, group) -> dict[str, str]:
    pupil = group.pupils.order_by("pk").first()
    args = [world.school_a.pk, group.pk]
    return {
        "view": reverse("group_login_codes", args=args),
        "print": reverse("group_login_codes_print", args=args),
        "method": reverse("group_login_method", args=args),
        "code": reverse("pupil_login_code", args=[*args, pupil.pk]),
    }


def codes(group) -> dict[int, str]:
    return {shown.pupil.pk: shown.code for shown in login_codes.codes_for_group(group)}


@pytest.mark.parametrize("role", list(ROLES))
def test_every_role_of_the_group_may_view_and_print(world, group, client, role):
    login_as(client, persona(world, group, role))
    page = client.get(urls(world, group)["view"])
    assert page.status_code == 200
    assert client.get(urls(world, group)["print"]).status_code == 200
    shown = page.content.decode()
    assert all(code in shown for code in codes(group).values())
    change_link = urls(world, group)["method"]
    assert (change_link in shown) is ROLES[role]
    assert (urls(world, group)["code"] in shown) is ROLES[role]


@pytest.mark.parametrize("role", [r for r, may in ROLES.items() if not may])
def test_trainee_substitute_and_ib_may_not_change_anything(world, group, client, role):
    login_as(client, persona(world, group, role))
    before, audit_before = codes(group), AuditEvent.objects.count()
    for name in ("method", "code"):
        assert client.get(urls(world, group)[name]).status_code == 404
    assert client.post(urls(world, group)["method"], {"method": LoginMethod.PICTURES}).status_code == 404
    assert client.post(urls(world, group)["code"], {"code": "9753"}).status_code == 404
    assert codes(group) == before
    assert login_codes.method_of(group) == LoginMethod.NUMBERS
    assert AuditEvent.objects.count() == audit_before


@pytest.mark.parametrize("role", [r for r, may in ROLES.items() if may])
def test_the_groups_leerkracht_and_a_coordinator_may_change(world, group, client, role):
    login_as(client, persona(world, group, role))
    pupil_code_url = urls(world, group)["code"]
    pupil_pk = group.pupils.order_by("pk").first().pk
    assert client.get(urls(world, group)["method"]).status_code == 200
    assert client.post(pupil_code_url, {"code": "9753"}).status_code == 302
    assert codes(group)[pupil_pk] == "9753"
    assert client.post(urls(world, group)["method"], {"method": LoginMethod.PICTURES}).status_code == 302
    assert login_codes.method_of(group) == LoginMethod.PICTURES


def test_a_leerkracht_of_another_group_may_not_change_this_one(world, group, client):
    other = world.school_a.groups.create(las_key="G-8", name="Groep 8", jaargroep="8")
    staff = make_staff("Joke", "Smit")
    appoint(staff, world.school_a, Role.TEACHER, Role.TRAINEE, groups=[other])
    login_as(client, staff)
    assert client.post(urls(world, group)["code"], {"code": "9753"}).status_code == 404
    assert "9753" not in codes(group).values()


def test_a_trainee_who_is_also_leerkracht_of_the_group_may_change(world, group, client):
    staff = make_staff("Bram", "Kok")
    appoint(staff, world.school_a, Role.TRAINEE, Role.TEACHER, groups=[group])
    login_as(client, staff)
    assert client.post(urls(world, group)["code"], {"code": "9753"}).status_code == 302
